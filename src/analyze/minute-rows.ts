import { iso } from './report-text.js';
import type { TimelineRow } from './summary.js';
import { CATEGORIES, classCounts } from './verdict-codes.js';

/**
 * The timeline's rows, a row a minute, counted by category, in a hash table over typed arrays:
 * a minute's slot is its number (the seconds of its start / 60) modulo the slot count (minutes
 * that follow each other take slots that do), or the next free one. Counting a connection takes
 * the same steps whether its minute is new or not (see ConnectionTable.countConnections() in fold.ts).
 */
export class MinuteRows {
  /** the minute number of each slot, EMPTY_MINUTE if none */
  private minutes = new Float64Array(0);
  /** CATEGORIES counts a slot */
  private counts: Int32Array = new Int32Array(0);
  private used = 0;

  constructor() {
    // a second value at once: see PeerRows' constructor
    this.minutes = new Float64Array(MINUTE_SLOTS_MIN).fill(EMPTY_MINUTE);
    this.counts = new Int32Array(MINUTE_SLOTS_MIN * CATEGORIES);
  }

  /** Counts a connection of the category (see CATEGORIES) in the row of the minute that starts at `minute` × 60 seconds. */
  count(minute: number, category: number): void {
    const minutes = this.minutes;
    const mask = minutes.length - 1;
    let slot = minute & mask;
    for (;;) {
      // both compared every time: the second is new to the compiled loop otherwise
      const found = minutes[slot] === minute;
      const free = minutes[slot] === EMPTY_MINUTE;
      if (found || free) break;
      slot = (slot + 1) & mask;
    }
    this.used += minutes[slot] === EMPTY_MINUTE ? 1 : 0;
    minutes[slot] = minute;
    this.counts[slot * CATEGORIES + category]++;
    if (this.used * 2 > minutes.length) this.grow();
  }

  /** The rows, in time order. */
  rows(): TimelineRow[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.minutes.length; slot++) if (this.minutes[slot] !== EMPTY_MINUTE) slots.push(slot);
    return slots.sort((a, b) => this.minutes[a] - this.minutes[b]).map((slot) => ({ minute: iso(this.minutes[slot] * 60) as string, ...classCounts(this.counts, slot * CATEGORIES) }));
  }

  /** Doubles the table (kept at most half full). */
  private grow(): void {
    const { minutes: oldMinutes, counts: oldCounts } = this;
    const minutes = new Float64Array(oldMinutes.length * 2).fill(EMPTY_MINUTE);
    const counts = new Int32Array(minutes.length * CATEGORIES);
    const mask = minutes.length - 1;
    for (let from = 0; from < oldMinutes.length; from++) {
      const minute = oldMinutes[from];
      if (minute === EMPTY_MINUTE) continue;
      let slot = minute & mask;
      while (minutes[slot] !== EMPTY_MINUTE) slot = (slot + 1) & mask;
      minutes[slot] = minute;
      counts.set(oldCounts.subarray(from * CATEGORIES, (from + 1) * CATEGORIES), slot * CATEGORIES);
    }
    this.minutes = minutes;
    this.counts = counts;
  }
}

/** MinuteRows' slots at first: 34 hours */
export const MINUTE_SLOTS_MIN = 4096;
/** an empty slot of MinuteRows (minutes counted are never negative) */
export const EMPTY_MINUTE = -1;
