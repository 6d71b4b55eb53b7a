/**
 * Deletion of experiments, trials and trial components from the sidebar:
 * what a deletion will remove and keep, and running it.
 */

import { ServerConnection } from '@jupyterlab/services';

import {
  deleteComponent,
  deleteExperiment,
  deleteTrial,
  fetchComponents,
  IComponentSummary
} from '../api/browser';
import {
  BrowserEntry,
  IComponentEntry,
  IExperimentEntry,
  ITrialEntry
} from './entries';

/**
 * The entries a deletion covers: all of one kind.
 */
export type DeletableEntries =
  | { kind: 'experiment'; entries: IExperimentEntry[] }
  | { kind: 'trial'; entries: ITrialEntry[] }
  | { kind: 'component'; entries: IComponentEntry[] };

/**
 * The records a deletion will remove and keep, read from the store before
 * the confirmation dialog opens.
 */
export interface IDeletionPlan {
  /**
   * The entries to delete.
   */
  target: DeletableEntries;

  /**
   * The number of trials deleted with the experiments; 0 for other kinds.
   */
  trialCount: number;

  /**
   * The trial components deleted with the experiments or trials.
   */
  deletedComponents: IComponentSummary[];

  /**
   * The trial components that stay because a trial outside the deletion
   * contains them.
   */
  keptComponents: IComponentSummary[];

  /**
   * For trial components: the names of the trials they are removed from.
   */
  trials: string[];
}

/**
 * The result of a deletion.
 */
export interface IDeletionOutcome {
  /**
   * The names of the deleted experiments, trials or trial components of the target.
   */
  deleted: string[];

  /**
   * The names of the trials deleted with experiments.
   */
  deletedTrials: string[];

  /**
   * The names of the trial components deleted with experiments or trials.
   */
  deletedComponents: string[];

  /**
   * The names of the shared trial components the server kept.
   */
  keptComponents: string[];

  /**
   * The entries that could not be deleted, with the server's message.
   */
  failures: { name: string; message: string }[];
}

/**
 * Return the entries a deletion of a selection covers, or null when the
 * selection is empty, mixes kinds or contains the unassigned entry.
 */
export function deletableEntries(
  entries: readonly BrowserEntry[]
): DeletableEntries | null {
  if (entries.length === 0) {
    return null;
  }
  const kind = entries[0].kind;
  if (entries.some(entry => entry.kind !== kind)) {
    return null;
  }
  switch (kind) {
    case 'experiment':
      return { kind, entries: entries as IExperimentEntry[] };
    case 'trial':
      return { kind, entries: entries as ITrialEntry[] };
    case 'component':
      return { kind, entries: entries as IComponentEntry[] };
    default:
      return null;
  }
}

/**
 * Read from the store which trial components a deletion removes and which it keeps.
 *
 * #### Notes
 * The REST API has no dry run, so this applies the server's rule to the
 * current trial components: deleting experiments (or trials) deletes the
 * components that no trial outside them contains and keeps the others. A
 * component that changes between this call and the deletion can make the
 * server's result differ; the outcome reports what the server did.
 */
export async function planDeletion(
  target: DeletableEntries,
  serverSettings: ServerConnection.ISettings
): Promise<IDeletionPlan> {
  const plan: IDeletionPlan = {
    target,
    trialCount: 0,
    deletedComponents: [],
    keptComponents: [],
    trials: []
  };

  if (target.kind === 'component') {
    const trials = new Set<string>();
    for (const entry of target.entries) {
      entry.record.trials.forEach(trial => trials.add(trial));
    }
    plan.trials = [...trials].sort();
    return plan;
  }

  const names = new Set(target.entries.map(entry => entry.name));
  let components: IComponentSummary[];
  if (target.kind === 'experiment') {
    plan.trialCount = target.entries.reduce(
      (sum, entry) => sum + entry.record.trial_count,
      0
    );
    components = await fetchComponents(
      { experiments: [...names] },
      '',
      serverSettings
    );
  } else {
    components = await fetchComponents(
      { trials: [...names] },
      '',
      serverSettings
    );
  }

  for (const component of components) {
    const parents =
      target.kind === 'experiment' ? component.experiments : component.trials;
    if (parents.some(parent => !names.has(parent))) {
      plan.keptComponents.push(component);
    } else {
      plan.deletedComponents.push(component);
    }
  }
  return plan;
}

/**
 * Delete the entries of a plan one after the other.
 *
 * #### Notes
 * Experiments are deleted with `force`, trials with `delete_components` and
 * trial components with `force` (removed from their trials first). A failed
 * deletion does not stop the others; it is listed in `failures`.
 */
export async function runDeletion(
  plan: IDeletionPlan,
  serverSettings: ServerConnection.ISettings
): Promise<IDeletionOutcome> {
  const outcome: IDeletionOutcome = {
    deleted: [],
    deletedTrials: [],
    deletedComponents: [],
    keptComponents: [],
    failures: []
  };
  const kept = new Set<string>();
  const target = plan.target;

  for (const entry of target.entries) {
    try {
      if (target.kind === 'experiment') {
        const result = await deleteExperiment(entry.name, serverSettings);
        outcome.deletedTrials.push(...result.trials);
        outcome.deletedComponents.push(...result.trial_components);
        result.kept_trial_components.forEach(name => kept.add(name));
      } else if (target.kind === 'trial') {
        const experiment = (entry as ITrialEntry).record.experiment;
        const result = await deleteTrial(
          experiment,
          entry.name,
          serverSettings
        );
        outcome.deletedComponents.push(...result.trial_components);
        result.kept_trial_components.forEach(name => kept.add(name));
      } else {
        await deleteComponent(entry.name, serverSettings);
      }
      outcome.deleted.push(entry.name);
    } catch (error) {
      const message =
        error instanceof Error && error.message ? error.message : String(error);
      outcome.failures.push({ name: entry.name, message });
    }
  }

  // A component kept by the first of two deleted experiments is deleted with
  // the second; it is no longer kept.
  const deleted = new Set(outcome.deletedComponents);
  outcome.keptComponents = [...kept].filter(name => !deleted.has(name)).sort();
  return outcome;
}
