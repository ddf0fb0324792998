// The credentials the UI sends with every call and stream, kept for the browser tab only.
import { ref } from "vue";

const KEY = "harrier.auth";

export const authHeader = ref<string | null>(sessionStorage.getItem(KEY));

export function signIn(header: string): void {
  authHeader.value = header;
  sessionStorage.setItem(KEY, header);
}

export function signOut(): void {
  authHeader.value = null;
  sessionStorage.removeItem(KEY);
}

export function basicHeader(user: string, password: string): string {
  // btoa takes latin-1 only; encode UTF-8 first so any password works.
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

export function bearerHeader(token: string): string {
  return "Bearer " + token.trim();
}
