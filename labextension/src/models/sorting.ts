/**
 * The sortable columns of the Experiments sidebar and how entries compare.
 */

import { BrowserEntry, statusSummary } from './entries';

/**
 * A column of the Experiments sidebar.
 */
export type SortColumn =
  | 'name'
  | 'description'
  | 'trials'
  | 'components'
  | 'status'
  | 'source'
  | 'created'
  | 'modified';

/**
 * A sort direction, named as the `aria-sort` values.
 */
export type SortDirection = 'ascending' | 'descending';

/**
 * The column a level is sorted by, and in which direction.
 */
export interface ISortState {
  /**
   * The column.
   */
  column: SortColumn;

  /**
   * The direction.
   */
  direction: SortDirection;
}

/**
 * Compare two entries by a sort, breaking ties by label.
 *
 * #### Notes
 * Texts compare with numeric collation, so `cnn-2` comes before `cnn-10`.
 * Empty values come last in both directions.
 */
export function compareEntries(
  a: BrowserEntry,
  b: BrowserEntry,
  sort: ISortState
): number {
  const sign = sort.direction === 'ascending' ? 1 : -1;
  const valueA = sortValue(a, sort.column);
  const valueB = sortValue(b, sort.column);

  if (valueA === null && valueB === null) {
    return compareText(a.label, b.label);
  }
  if (valueA === null) {
    return 1;
  }
  if (valueB === null) {
    return -1;
  }

  let result: number;
  if (typeof valueA === 'number' && typeof valueB === 'number') {
    result = valueA - valueB;
  } else {
    result = compareText(String(valueA), String(valueB));
  }
  return sign * result || compareText(a.label, b.label);
}

/**
 * Return the value of an entry in a column, or null when it has none.
 */
export function sortValue(
  entry: BrowserEntry,
  column: SortColumn
): string | number | null {
  if (column === 'name') {
    return entry.label;
  }
  switch (entry.kind) {
    case 'unassigned':
      return column === 'trials' || column === 'components'
        ? entry.count
        : null;
    case 'experiment':
      switch (column) {
        case 'description':
          return entry.record.description || null;
        case 'trials':
          return entry.record.trial_count;
        case 'created':
          return entry.record.created_at;
        case 'modified':
          return entry.record.modified_at;
        default:
          return null;
      }
    case 'trial':
      switch (column) {
        case 'components':
          return entry.record.component_count;
        case 'status':
          return statusSummary(entry.record.status_counts) || null;
        case 'created':
          return entry.record.created_at;
        case 'modified':
          return entry.record.modified_at;
        default:
          return null;
      }
    case 'component':
      switch (column) {
        case 'status':
          return entry.record.status;
        case 'source':
          return entry.record.source_type;
        case 'created':
          return entry.record.created_at;
        case 'modified':
          return entry.record.modified_at;
        default:
          return null;
      }
  }
}

const collator = new Intl.Collator(undefined, {
  numeric: true,
  sensitivity: 'base'
});

function compareText(a: string, b: string): number {
  return collator.compare(a, b);
}
