/**
 * Calendar windows: `freeze` (promotions denied) and `allow` (maintenance windows: when an environment has
 * any, promotions are allowed only inside one). One-off (start–end) or recurring (RFC 5545 RRULE with a start,
 * a time zone, exceptions and a duration), scoped to products, environments or tags.
 */
export const WINDOW_KINDS = ['freeze', 'allow'] as const;
export type WindowKind = (typeof WINDOW_KINDS)[number];

/**
 * How hard a freeze is: `hard` blocks every promotion (only an override lets one through), `emergency-only`
 * lets promotions marked as emergencies through, `soft` never blocks but is reported.
 */
export const SEVERITIES = ['hard', 'emergency-only', 'soft'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A window as declared (railyard.yaml or the API), with every default filled in. */
export interface WindowSpec {
  key: string;
  name: string;
  kind: WindowKind;
  severity: Severity;
  /** Empty: every environment. */
  environments: string[];
  /** Empty: every product. */
  products: string[];
  /** Products or environments carrying one of these tags. Empty: no tag condition. */
  tags: string[];
  /** IANA zone the times are in; null: the zone of each environment the window applies to. */
  timezone: string | null;
  /** DTSTART (recurring) or the start (one-off): a local date-time, a date, or an instant with an offset. */
  start: string | null;
  /** End of a one-off window (exclusive). */
  end: string | null;
  /** RFC 5545 RRULE value, e.g. FREQ=WEEKLY;BYDAY=FR;BYHOUR=18. */
  rrule: string | null;
  /** RFC 5545 DURATION of each occurrence, e.g. P2DT12H. */
  duration: string | null;
  /** Occurrences left out: local date-times (that occurrence) or dates (every occurrence that day). */
  exdates: string[];
  reason: string;
}

export interface Window extends WindowSpec {
  id: string;
  /** `config` windows are managed by `railyard apply`; `api` windows by the CLI and API. */
  source: 'config' | 'api';
  /** Bumped on every change (the ICS SEQUENCE). */
  sequence: number;
  createdAt: string;
  updatedAt: string;
}

/** What a window is matched against: a product promoted into an environment. */
export interface Subject {
  product: string;
  productTags: readonly string[];
  environment: string;
  environmentTags: readonly string[];
}

export function appliesTo(w: Pick<WindowSpec, 'environments' | 'products' | 'tags'>, s: Subject): boolean {
  if (w.environments.length > 0 && !w.environments.includes(s.environment)) return false;
  if (w.products.length > 0 && !w.products.includes(s.product)) return false;
  if (w.tags.length > 0 && !w.tags.some((t) => s.productTags.includes(t) || s.environmentTags.includes(t))) return false;
  return true;
}

/** True when a window could apply to the environment for some product (for per-environment indexes). */
export function mayApplyToEnvironment(w: Pick<WindowSpec, 'environments'>, environment: string): boolean {
  return w.environments.length === 0 || w.environments.includes(environment);
}

export interface WindowInput {
  key: string;
  name?: string;
  kind: string;
  severity?: string;
  environments?: string[];
  products?: string[];
  tags?: string[];
  timezone?: string;
  start?: string;
  end?: string;
  rrule?: string;
  duration?: string;
  exdates?: string[];
  reason?: string;
}

export function normalizeWindow(w: WindowInput): WindowSpec {
  return {
    key: w.key,
    name: w.name ?? w.key,
    kind: w.kind as WindowKind,
    severity: (w.severity ?? 'hard') as Severity,
    environments: [...(w.environments ?? [])],
    products: [...(w.products ?? [])],
    tags: [...(w.tags ?? [])],
    timezone: w.timezone ?? null,
    start: w.start ?? null,
    end: w.end ?? null,
    rrule: w.rrule === undefined ? null : stripRrulePrefix(w.rrule),
    duration: w.duration ?? null,
    exdates: [...(w.exdates ?? [])],
    reason: w.reason ?? '',
  };
}

export function stripRrulePrefix(rrule: string): string {
  return rrule.trim().replace(/^RRULE:/i, '');
}

/** The zone a window's times are read in for one environment. */
export function zoneFor(w: Pick<WindowSpec, 'timezone'>, environmentZone: string): string {
  return w.timezone ?? environmentZone;
}
