/**
 * The pages of a task's memory: `pagemap-<pid>.img` lists page ranges, and the raw
 * `pages-<id>.img` it names holds the present ones back to back in the same order.
 */
import type { MessageValue } from './message-values.js';

export const PAGE_SIZE = 4096;

/** pagemap_entry flags. */
export const PE_PARENT = 1 << 0; // the pages are in the parent (pre-dump) images
export const PE_LAZY = 1 << 1; // the pages may be served lazily (by a page server)
export const PE_PRESENT = 1 << 2; // the pages are in this images' pages file

export interface PageRange {
  readonly vaddr: bigint;
  readonly nrPages: number;
  readonly flags: number;
  /** Where the range's bytes start in the pages file; undefined when they are not in it. */
  readonly pagesOffset?: number;
}

/** The page ranges of a pagemap image's entries (after its head), with their pages-file offsets. */
export function pageRanges(entries: Iterable<MessageValue>): PageRange[] {
  const ranges: PageRange[] = [];
  let offset = 0;
  for (const entry of entries) {
    const nrPages = Number(entry.nr_pages ?? entry.compat_nr_pages ?? 0);
    // Images from before the flags field existed hold every range in the pages file.
    const flags = entry.flags === undefined ? PE_PRESENT : Number(entry.flags);
    // PE_LAZY only says the range may be served lazily: CRIU still writes it when PE_PRESENT is set
    const inFile = (flags & PE_PRESENT) !== 0 && (flags & PE_PARENT) === 0;
    ranges.push({ vaddr: BigInt(entry.vaddr as bigint), nrPages, flags, pagesOffset: inFile ? offset : undefined });
    if (inFile) offset += nrPages * PAGE_SIZE;
  }
  return ranges;
}
