const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** Parses `24h`, `90m`, `1d12h` into seconds; null when it is not such a duration. */
export function parseDuration(text: string): number | null {
  if (!/^(\d+[dhms])+$/.test(text)) return null;
  let seconds = 0;
  for (const m of text.matchAll(/(\d+)([dhms])/g)) seconds += Number(m[1]) * (UNIT_SECONDS[m[2] as string] ?? 0);
  return seconds;
}

export function durationProblem(text: string): string | null {
  return parseDuration(text) === null ? `'${text}' is not a duration: write e.g. 24h, 90m, 2d or 1d12h` : null;
}

/** `26.5 h` style, for explanations. */
export function formatHours(hours: number): string {
  return `${Math.round(hours * 10) / 10} h`;
}
