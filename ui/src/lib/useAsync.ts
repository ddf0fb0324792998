// A value loaded from the API with its loading flag and readable error, reloadable.
import { ref, type Ref } from "vue";
import { ApiError } from "../api/client";

export interface Loaded<T> {
  data: Ref<T | null>;
  error: Ref<string>;
  notFound: Ref<boolean>;
  loading: Ref<boolean>;
  load(): Promise<void>;
}

export function useAsync<T>(fetcher: () => Promise<T>): Loaded<T> {
  const data = ref<T | null>(null) as Ref<T | null>;
  const error = ref("");
  const notFound = ref(false);
  const loading = ref(false);
  let generation = 0;
  async function load() {
    // A slower, older answer must not overwrite a newer one (typing in a search box).
    const mine = ++generation;
    loading.value = true;
    try {
      const value = await fetcher();
      if (mine !== generation) return;
      data.value = value;
      error.value = "";
      notFound.value = false;
    } catch (e) {
      if (mine !== generation) return;
      error.value = messageOf(e);
      notFound.value = e instanceof ApiError && e.status === 404;
    } finally {
      if (mine === generation) loading.value = false;
    }
  }
  return { data, error, notFound, loading, load };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
