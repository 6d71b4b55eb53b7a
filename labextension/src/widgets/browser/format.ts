/**
 * Labels and cell texts of the Experiments sidebar.
 */

import { Time } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';

import { BrowserEntry, SortColumn, statusSummary } from '../../models/browser';

/**
 * The text of a cell, and the tooltip that shows it in full.
 */
export interface ICellText {
  /**
   * The text shown in the cell.
   */
  text: string;

  /**
   * The tooltip, when the text is shortened or relative.
   */
  title?: string;
}

/**
 * Return the header label of a column.
 */
export function columnLabel(
  column: SortColumn,
  trans: TranslationBundle
): string {
  switch (column) {
    case 'name':
      return trans.__('Name');
    case 'description':
      return trans.__('Description');
    case 'trials':
      return trans.__('Trials');
    case 'components':
      return trans.__('Components');
    case 'status':
      return trans.__('Status');
    case 'source':
      return trans.__('Source');
    case 'created':
      return trans.__('Created');
    case 'modified':
      return trans.__('Modified');
  }
}

/**
 * Return the text of an entry in a column other than the name.
 */
export function cellText(
  entry: BrowserEntry,
  column: SortColumn,
  trans: TranslationBundle
): ICellText {
  const empty = { text: '' };
  switch (entry.kind) {
    case 'unassigned':
      return empty;
    case 'experiment': {
      const record = entry.record;
      switch (column) {
        case 'description':
          return {
            text: record.description ?? '',
            title: record.description ?? undefined
          };
        case 'trials':
          return {
            text: String(record.trial_count),
            title: trans._n('%1 trial', '%1 trials', record.trial_count)
          };
        case 'created':
          return timeText(record.created_at);
        case 'modified':
          return timeText(record.modified_at);
        default:
          return empty;
      }
    }
    case 'trial': {
      const record = entry.record;
      switch (column) {
        case 'components':
          return {
            text: String(record.component_count),
            title: trans._n(
              '%1 trial component',
              '%1 trial components',
              record.component_count
            )
          };
        case 'status': {
          const summary = statusSummary(record.status_counts);
          return { text: summary, title: summary || undefined };
        }
        case 'created':
          return timeText(record.created_at);
        case 'modified':
          return timeText(record.modified_at);
        default:
          return empty;
      }
    }
    case 'component': {
      const record = entry.record;
      switch (column) {
        case 'status':
          return {
            text: record.status ?? '',
            title: record.status_message ?? undefined
          };
        case 'source':
          return {
            text: record.source_type ?? '',
            title: record.source_arn ?? undefined
          };
        case 'created':
          return timeText(record.created_at);
        case 'modified':
          return timeText(record.modified_at);
        default:
          return empty;
      }
    }
  }
}

/**
 * Return a time as relative text ("5 minutes ago") with the full time as tooltip.
 *
 * @param seconds - Seconds since the epoch.
 */
export function timeText(seconds: number): ICellText {
  const date = new Date(seconds * 1000);
  return { text: Time.formatHuman(date), title: Time.format(date) };
}

/**
 * Return the name of the kind of an entry, as context menus and dialogs use it.
 *
 * @param count - How many entries the text is about.
 */
export function kindName(
  kind: BrowserEntry['kind'],
  count: number,
  trans: TranslationBundle
): string {
  switch (kind) {
    case 'experiment':
      return trans._n('experiment', 'experiments', count);
    case 'trial':
      return trans._n('trial', 'trials', count);
    case 'component':
      return trans._n('trial component', 'trial components', count);
    case 'unassigned':
      return trans.__('unassigned trial components');
  }
}

/**
 * Return a list of names as one text: all of them up to `max`, then a count
 * of the others.
 */
export function nameList(
  names: readonly string[],
  trans: TranslationBundle,
  max = 5
): string {
  if (names.length <= max) {
    return names.join(', ');
  }
  const shown = names.slice(0, max).join(', ');
  const others = names.length - max;
  return trans._n('%2 and %1 other', '%2 and %1 others', others, shown);
}
