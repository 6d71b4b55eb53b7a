/**
 * The locations and entries of the Experiments sidebar.
 */

import { IExperiment } from '../api';
import { IComponentSummary, ITrial } from '../api/browser';

/**
 * A level of the Experiments sidebar.
 *
 * #### Notes
 * The labels are the display names shown in the breadcrumb; the names
 * identify the records.
 */
export type BrowserLocation =
  | { kind: 'home' }
  | { kind: 'unassigned' }
  | { kind: 'experiment'; experiment: string; experimentLabel?: string }
  | {
      kind: 'trial';
      experiment: string;
      trial: string;
      experimentLabel?: string;
      trialLabel?: string;
    };

/**
 * The kind of list a location shows: experiments (`home`), trials
 * (`experiment`) or trial components (`components`, for a trial or the
 * unassigned ones).
 */
export type LevelKind = 'home' | 'experiment' | 'components';

/**
 * Return the kind of list a location shows.
 */
export function levelOf(location: BrowserLocation): LevelKind {
  switch (location.kind) {
    case 'home':
      return 'home';
    case 'experiment':
      return 'experiment';
    default:
      return 'components';
  }
}

/**
 * The fields common to every entry.
 */
interface IEntryBase {
  /**
   * A key unique within a level: the kind and the name.
   */
  key: string;

  /**
   * The record's unique name; empty for the unassigned entry.
   */
  name: string;

  /**
   * The display name, or the name when there is none.
   */
  label: string;
}

/**
 * An experiment at Home.
 */
export interface IExperimentEntry extends IEntryBase {
  kind: 'experiment';
  record: IExperiment;
}

/**
 * The entry at Home that leads to the trial components in no trial.
 */
export interface IUnassignedEntry extends IEntryBase {
  kind: 'unassigned';

  /**
   * The number of trial components in no trial.
   */
  count: number;
}

/**
 * A trial of an experiment.
 */
export interface ITrialEntry extends IEntryBase {
  kind: 'trial';
  record: ITrial;
}

/**
 * A trial component of a trial, or an unassigned one.
 */
export interface IComponentEntry extends IEntryBase {
  kind: 'component';
  record: IComponentSummary;
}

/**
 * One row of the Experiments sidebar.
 */
export type BrowserEntry =
  IExperimentEntry | IUnassignedEntry | ITrialEntry | IComponentEntry;

/**
 * Return a trial's status counts as text, most frequent status first, such as
 * `2 Completed, 1 InProgress`; empty for a trial without components.
 */
export function statusSummary(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .sort(([a, countA], [b, countB]) => countB - countA || a.localeCompare(b))
    .map(([status, count]) => `${count} ${status}`)
    .join(', ');
}
