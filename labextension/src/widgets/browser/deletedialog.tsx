/**
 * The texts of the sidebar's deletion: the confirmation dialog and the
 * notification of its result.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IDeletionOutcome, IDeletionPlan } from '../../models/deletion';
import { kindName, nameList } from './format';

/**
 * Ask the user to confirm a deletion, saying what it removes and keeps.
 *
 * @returns Whether the user accepted.
 */
export async function confirmDeletion(
  plan: IDeletionPlan,
  trans: TranslationBundle
): Promise<boolean> {
  const result = await showDialog({
    title: deletionTitle(plan, trans),
    body: <DeletionBody plan={plan} trans={trans} />,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ],
    defaultButton: 0
  });
  return result.button.accept;
}

/**
 * Return the title of the confirmation dialog, such as "Delete experiment “a”?".
 */
export function deletionTitle(
  plan: IDeletionPlan,
  trans: TranslationBundle
): string {
  const entries = plan.target.entries;
  const kind = kindName(plan.target.kind, entries.length, trans);
  if (entries.length === 1) {
    return trans.__('Delete %1 “%2”?', kind, entries[0].label);
  }
  return trans.__('Delete %1 %2?', entries.length, kind);
}

/**
 * Render the body of the confirmation dialog.
 */
function DeletionBody(props: {
  plan: IDeletionPlan;
  trans: TranslationBundle;
}): JSX.Element {
  const { plan, trans } = props;
  const { target } = plan;
  const labels = target.entries.map(entry => entry.label);
  const kept = plan.keptComponents.map(c => c.display_name || c.name);
  const paragraphs: string[] = [];

  paragraphs.push(
    trans.__(
      'This deletes %1 %2.',
      kindName(target.kind, labels.length, trans),
      nameList(labels, trans)
    )
  );
  const components = trans._n(
    '%1 trial component',
    '%1 trial components',
    plan.deletedComponents.length
  );
  if (target.kind === 'experiment') {
    paragraphs.push(
      trans.__(
        'Also deleted: %1 and %2 that no trial of another experiment contains.',
        trans._n('%1 trial', '%1 trials', plan.trialCount),
        components
      )
    );
    paragraphs.push(
      kept.length > 0
        ? trans.__(
            'Kept, because a trial of another experiment also contains them: %1.',
            nameList(kept, trans)
          )
        : trans.__('No trial component is shared with another experiment.')
    );
  } else if (target.kind === 'trial') {
    paragraphs.push(
      trans.__('Also deleted: %1 that no other trial contains.', components)
    );
    paragraphs.push(
      kept.length > 0
        ? trans.__(
            'Kept, because another trial also contains them: %1.',
            nameList(kept, trans)
          )
        : trans.__('No trial component is shared with another trial.')
    );
  } else if (plan.trials.length > 0) {
    paragraphs.push(
      trans.__(
        'They are removed from the trials %1 first.',
        nameList(plan.trials, trans)
      )
    );
  }
  paragraphs.push(trans.__('This cannot be undone.'));

  return (
    <div className="jp-ExperimentBrowser-deleteDialog">
      {paragraphs.map((text, index) => (
        <p key={index}>{text}</p>
      ))}
    </div>
  );
}

/**
 * Return the notification text of a deletion's result.
 */
export function deletionSummary(
  plan: IDeletionPlan,
  outcome: IDeletionOutcome,
  trans: TranslationBundle
): string {
  const kind = plan.target.kind;
  const sentences: string[] = [];

  if (outcome.deleted.length > 0) {
    const deleted = kindName(kind, outcome.deleted.length, trans);
    const names = nameList(outcome.deleted, trans);
    const components = trans._n(
      '%1 trial component',
      '%1 trial components',
      outcome.deletedComponents.length
    );
    if (kind === 'experiment') {
      sentences.push(
        trans.__(
          'Deleted %1 %2 with %3 and %4.',
          deleted,
          names,
          trans._n('%1 trial', '%1 trials', outcome.deletedTrials.length),
          components
        )
      );
    } else if (kind === 'trial') {
      sentences.push(
        trans.__('Deleted %1 %2 with %3.', deleted, names, components)
      );
    } else {
      sentences.push(trans.__('Deleted %1 %2.', deleted, names));
    }
  }
  if (outcome.keptComponents.length > 0) {
    // The server names the kept components; show their display names.
    const labels = new Map(
      plan.keptComponents.map(c => [c.name, c.display_name || c.name])
    );
    const kept = outcome.keptComponents.map(name => labels.get(name) ?? name);
    sentences.push(
      trans._n(
        'Kept the shared trial component %2.',
        'Kept the shared trial components %2.',
        kept.length,
        nameList(kept, trans)
      )
    );
  }
  for (const failure of outcome.failures) {
    sentences.push(
      trans.__('Could not delete %1: %2', failure.name, failure.message)
    );
  }
  return sentences.join(' ');
}
