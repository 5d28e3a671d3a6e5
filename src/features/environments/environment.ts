export const TIERS = ['dev', 'test', 'staging', 'prod'] as const;
export type Tier = (typeof TIERS)[number];

export interface Environment {
  id: string;
  key: string;
  name: string;
  tier: Tier;
  timezone: string;
  protected: boolean;
  /** How many promotions may run into this environment at once. */
  concurrency: number;
  position: number;
  createdAt: string;
  updatedAt: string;
}

/** The ordered environments a product's releases are promoted through. */
export interface Track {
  id: string;
  key: string;
  name: string;
  environments: string[];
  createdAt: string;
  updatedAt: string;
}

/** True when the IANA time zone database known to this runtime has the zone. */
export function isValidTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Production environments are protected unless the config says otherwise. */
export function defaultProtected(tier: Tier): boolean {
  return tier === 'prod';
}
