import * as layout from '../layout.js';
import type { CompiledFormat } from './compiled.js';

/*
 * The fields the analyzer's fast path reads, all derived from their slots in src/layout.ts: the
 * slot PF_FLOW_DIRECTION holds the position of the field `flow-direction`, which PlainFields
 * calls `flowDirection` (a few fields the analyzer has always called by shorter names:
 * SHORT_NAMES). A new slot there is a new field here, in the positions layoutOf() gives the
 * analyzer (src/analyze/record-tally.ts) and in those the scanner gets (LineScanner.plainOn()).
 * docs/architecture.md ("Adding a field the analyzer reads").
 */

/** Names shorter than the field's own in camel case (tcp-flags would be tcpFlags). */
const SHORT_NAMES = { LOG_STATUS: 'status', PKT_SRCADDR: 'pktSrc', PKT_DSTADDR: 'pktDst', TCP_FLAGS: 'flags', INTERFACE_ID: 'iface' } as const;

type Slot = Extract<keyof typeof layout, `PF_${string}`>;
type Camel<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Lowercase<Head>}${Capitalize<Camel<Tail>>}` : Lowercase<S>;
type NameOf<S extends Slot> = S extends `PF_${infer Field}` ? (Field extends keyof typeof SHORT_NAMES ? (typeof SHORT_NAMES)[Field] : Camel<Field>) : never;

/** Positions of the fields the fast path reads (-1: absent), one per PF_* slot; RecordTally's Layout extends it. */
export type PlainFields = { [S in Slot as NameOf<S>]: number };

export interface PlainField {
  /** PF_* */
  slot: number;
  /** the flow-log field, e.g. tcp-flags */
  field: string;
  /** its position's name in PlainFields */
  name: keyof PlainFields;
}

/** Every PF_* slot of src/layout.ts, in slot order. */
export const PLAIN_FIELD_LIST: readonly PlainField[] = Object.entries(layout)
  .filter(([constant]) => constant.startsWith('PF_'))
  .map(([constant, slot]) => {
    const words = constant.slice('PF_'.length);
    const short: string | undefined = (SHORT_NAMES as Record<string, string>)[words];
    const camel = words.toLowerCase().replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
    return { slot, field: words.toLowerCase().replaceAll('_', '-'), name: (short ?? camel) as keyof PlainFields };
  })
  .sort((a, b) => a.slot - b.slot);

/** The positions of the fast path's fields in `format` (-1: absent). */
export function plainFieldsOf(format: CompiledFormat): PlainFields {
  const positions: Record<string, number> = {};
  for (const { field, name } of PLAIN_FIELD_LIST) positions[name] = format.pos.get(field) ?? -1;
  return positions as PlainFields;
}
