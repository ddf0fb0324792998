// The time ranges list pages offer, so no page reads a whole index by default.

export const RANGES: Record<string, number> = {
  "last 15 minutes": 15 * 60_000,
  "last hour": 3_600_000,
  "last 24 hours": 86_400_000,
  "last 7 days": 7 * 86_400_000,
  "last 30 days": 30 * 86_400_000,
};

export const DEFAULT_RANGE = "last 24 hours";

/** The start of `range` before `now`, as the API's startDate. */
export function startOf(range: string, now = Date.now()): string {
  return new Date(now - (RANGES[range] ?? RANGES[DEFAULT_RANGE])).toISOString();
}
