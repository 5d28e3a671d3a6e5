import Type from 'typebox';
import { KEY_PATTERN } from '../products/product.js';
import { SEVERITIES, WINDOW_KINDS } from './window.js';

const Keys = (description: string) => Type.Array(Type.String({ pattern: KEY_PATTERN }), { description });

/** A window in railyard.yaml (`windows:`) and in the API's create-window body. */
export const WindowSchema = Type.Object(
  {
    key: Type.String({ pattern: KEY_PATTERN, description: 'Unique key, e.g. weekend-freeze.' }),
    name: Type.Optional(Type.String({ minLength: 1, description: 'Display name (defaults to the key).' })),
    kind: Type.Enum([...WINDOW_KINDS], { description: 'freeze (promotions denied) or allow (maintenance window).' }),
    severity: Type.Optional(
      Type.Enum([...SEVERITIES], {
        description: 'Freezes: hard (default) blocks, emergency-only lets emergencies through, soft only warns.',
      }),
    ),
    environments: Type.Optional(Keys('Environments it applies to (default: all).')),
    products: Type.Optional(Keys('Products it applies to (default: all).')),
    tags: Type.Optional(Keys('Applies to products or environments with one of these tags.')),
    timezone: Type.Optional(Type.String({ minLength: 1, description: 'IANA zone of its times (default: each environment’s).' })),
    start: Type.Optional(
      Type.String({ minLength: 1, description: 'One-off start, or the rule’s DTSTART: 2026-12-24T18:00 (local) or with Z.' }),
    ),
    end: Type.Optional(Type.String({ minLength: 1, description: 'One-off end (exclusive).' })),
    rrule: Type.Optional(Type.String({ minLength: 1, description: 'RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0.' })),
    duration: Type.Optional(Type.String({ minLength: 1, description: 'RFC 5545 DURATION of each occurrence, e.g. P2DT12H.' })),
    exdates: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'Occurrences left out: local date-times, or dates (all that day).' }),
    ),
    reason: Type.Optional(Type.String({ description: 'Why: shown with every refusal.' })),
  },
  { additionalProperties: false },
);
