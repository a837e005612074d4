import type { TcpClass } from './classify.js';
import { idText, iso } from './report-text.js';
import { CLASS_OF_CODE } from './verdict-codes.js';

export const CLASS_WEIGHT: Record<TcpClass, number> = { refused: 0, unanswered: 1, rejected: 2, established: 3, midstream: 4 };
/** CLASS_WEIGHT by class code (ESTABLISHED…) */
export const WEIGHT_OF_CODE: readonly number[] = CLASS_OF_CODE.map((cls) => CLASS_WEIGHT[cls]);

/**
 * The `limit` failing connections a report lists: the first `limit` of all of them sorted by
 * class (CLASS_WEIGHT), retried SYN first, then the texts of first seen (none first) and id,
 * locale-compared, then connection id (the order offered, in finish()). The ones kept so
 * far are kept in that order, in typed arrays (a place in each); a candidate that does not rank
 * before the last place (an empty place ranks after everything) cannot make the list and is
 * dropped at once, before its id is worked out (a million connections can have hundreds of
 * thousands of failures); one that does is put in its place. Offering makes no object and,
 * once dropping starts, takes the same steps each time (see ConnectionTable.countConnections() in fold.ts).
 *
 * While every first seen is a plain time (isPlainTime) the texts are not made: the ISO text
 * sorts as the seconds do, and none ('') first; ids are 8 lowercase hex digits of a number,
 * which sort as the number does. Making and locale-comparing the texts for every failing
 * connection cost seconds at a million connections.
 */
export class FailureRanking {
  private size = 0;
  /** connection */
  private readonly index: Int32Array;
  /** CLASS_WEIGHT of the class; EMPTY_PLACE in a place not filled yet */
  private readonly weight: Uint8Array;
  /** retried SYN, low confidence: 1 or 0 */
  private readonly retried: Uint8Array;
  private readonly lowConfidence: Uint8Array;
  private readonly firstStart: Float64Array;
  /** the id as a number (the id is its 8 hex digits) */
  private readonly idHash: Float64Array;
  /** some first start is not a plain time: compare the texts themselves */
  private byText = false;

  constructor(
    private readonly limit: number,
    private readonly idHashOf: (index: number) => number,
  ) {
    const places = Math.max(1, limit);
    this.index = new Int32Array(places);
    this.weight = new Uint8Array(places).fill(EMPTY_PLACE);
    this.retried = new Uint8Array(places);
    this.lowConfidence = new Uint8Array(places);
    this.firstStart = new Float64Array(places);
    this.idHash = new Float64Array(places);
  }

  /** Offers a failing connection, its class given as a code (REFUSED, UNANSWERED, REJECTED). */
  offer(index: number, cls: number, retriedSyn: boolean, firstStart: number, lowConfidence: boolean): void {
    if (this.limit === 0) return;
    if (!this.byText && !isPlainTime(firstStart)) this.compareTexts(); // e.g. a year past 9999
    const weight = WEIGHT_OF_CODE[cls];
    const retried = retriedSyn ? 1 : 0;
    const last = this.limit - 1;
    const beforeLast = this.compareAt(last, weight, retried, firstStart);
    if (beforeLast > 0) return;
    const idHash = this.idHashOf(index);
    // ties go to the smaller connection id (worked out whether needed or not: see above)
    const lostTie = (idHash - this.idHash[last] || index - this.index[last]) > 0;
    if (beforeLast === 0 && lostTie) return;
    // the first place it ranks before
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.compareAt(middle, weight, retried, firstStart) || idHash - this.idHash[middle] || index - this.index[middle]) < 0) high = middle;
      else low = middle + 1;
    }
    const end = this.size < this.limit ? this.size++ : last;
    for (const array of [this.index, this.weight, this.retried, this.lowConfidence, this.firstStart, this.idHash]) array.copyWithin(low + 1, low, end);
    this.index[low] = index;
    this.weight[low] = weight;
    this.retried[low] = retried;
    this.lowConfidence[low] = lowConfidence ? 1 : 0;
    this.firstStart[low] = firstStart;
    this.idHash[low] = idHash;
  }

  /** The connections listed, best first, and whether each is of low confidence. */
  top(): { index: number; lowConfidence: boolean }[] {
    const top: { index: number; lowConfidence: boolean }[] = [];
    for (let place = 0; place < this.size; place++) top.push({ index: this.index[place], lowConfidence: this.lowConfidence[place] === 1 });
    return top;
  }

  /** How a candidate ranks against the one at `place`, ids aside: below 0 before it, 0 if tied. */
  private compareAt(place: number, weight: number, retried: number, firstStart: number): number {
    const byClass = weight - this.weight[place] || this.retried[place] - retried;
    if (byClass !== 0 || !this.byText) return byClass || plainSeconds(firstStart) - plainSeconds(this.firstStart[place]);
    return (iso(firstStart) ?? '').localeCompare(iso(this.firstStart[place]) ?? '');
  }

  /** From now on compares the texts; sorts the ones kept so (stably). */
  private compareTexts(): void {
    this.byText = true;
    const order = Array.from({ length: this.size }, (_, place) => place);
    const firstSeen = order.map((place) => iso(this.firstStart[place]) ?? '');
    const ids = order.map((place) => idText(this.idHash[place]));
    order.sort(
      (a, b) =>
        this.weight[a] - this.weight[b] ||
        this.retried[b] - this.retried[a] ||
        firstSeen[a].localeCompare(firstSeen[b]) ||
        ids[a].localeCompare(ids[b]) ||
        this.index[a] - this.index[b],
    );
    for (const array of [this.index, this.weight, this.retried, this.lowConfidence, this.firstStart, this.idHash]) {
      const was = array.slice(0, this.size);
      for (let place = 0; place < this.size; place++) array[place] = was[order[place]];
    }
  }
}

/** FailureRanking's class weight of a place not filled yet: after every class */
export const EMPTY_PLACE = 255;

/** The seconds iso() writes, for ordering: -1 for none (iso() null, which sorts first). */
export function plainSeconds(seconds: number): number {
  return Number.isFinite(seconds) && seconds > 0 ? seconds : -1;
}

/** The last second iso() writes as YYYY-MM-DDTHH:MM:SSZ (9999-12-31T23:59:59Z). */
export const MAX_PLAIN_SECONDS = 253402300799;

/** Whether iso(seconds) is null or a plain YYYY-MM-DDTHH:MM:SSZ, whose text order is time order. */
export function isPlainTime(seconds: number): boolean {
  return !(Number.isFinite(seconds) && seconds > 0) || (Number.isInteger(seconds) && seconds <= MAX_PLAIN_SECONDS);
}
