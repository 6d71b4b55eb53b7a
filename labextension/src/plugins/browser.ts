/**
 * The plugins of the Experiments sidebar and of the shared live-update
 * connection: they wire the library parts into the application's shell,
 * commands, context menu and command palette.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Clipboard, ICommandPalette, Notification } from '@jupyterlab/apputils';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { deleteIcon, refreshIcon } from '@jupyterlab/ui-components';

import { experimentsIcon } from '../icons';
import { LiveUpdates } from '../live';
import { BrowserEntry, BrowserModel } from '../models/browser';
import {
  deletableEntries,
  planDeletion,
  runDeletion
} from '../models/deletion';
import { ILiveUpdates } from '../tokens';
import { ExperimentBrowser, TRANSLATION_DOMAIN } from '../widgets/browser';
import {
  confirmDeletion,
  deletionSummary
} from '../widgets/browser/deletedialog';
import { nameList } from '../widgets/browser/format';

/**
 * The command ids of the Experiments sidebar.
 */
export namespace CommandIDs {
  /**
   * Fetch the level shown in the sidebar again.
   */
  export const refresh = 'jupyter-experiments:refresh';

  /**
   * Copy the names of the selected entries to the clipboard.
   */
  export const copyName = 'jupyter-experiments:copy-name';

  /**
   * Show the Experiments sidebar.
   */
  export const showBrowser = 'jupyter-experiments:open-browser';

  /**
   * Show the level above the current one.
   */
  export const goUp = 'jupyter-experiments:go-up';

  /**
   * Open the trial components of the selected entries in a trial component list.
   */
  export const openInTable = 'jupyter-experiments:open-in-component-table';

  /**
   * Open the describe view of the selected trial component.
   */
  export const describeSelected =
    'jupyter-experiments:describe-selected-component';

  /**
   * Delete the selected experiments, trials or trial components after a confirmation.
   */
  export const deleteSelection = 'jupyter-experiments:delete-selection';

  /**
   * The trial component list command, provided by the table plugin, with args
   * `{ experiments?: string[], trials?: string[], unassigned?: boolean, title?: string }`.
   */
  export const openComponentTable = 'jupyter-experiments:open-component-list';

  /**
   * The describe view command, provided by the table plugin, with args `{ name: string }`.
   */
  export const describeComponent = 'jupyter-experiments:describe';
}

/**
 * The plugin that opens the one live-update WebSocket of the application.
 */
export const livePlugin: JupyterFrontEndPlugin<ILiveUpdates> = {
  id: 'jupyter-experiments:live-updates',
  description:
    'Opens one WebSocket that reports every change of the experiments tracking store.',
  autoStart: true,
  provides: ILiveUpdates,
  activate: (app: JupyterFrontEnd): ILiveUpdates =>
    new LiveUpdates({ serverSettings: app.serviceManager.serverSettings })
};

/**
 * The plugin that adds the Experiments sidebar to the left area.
 */
export const browserPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-experiments:browser',
  description:
    'Adds the Experiments sidebar, which browses experiments, trials and trial components.',
  autoStart: true,
  requires: [ITranslator],
  optional: [ILiveUpdates, ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator,
    live: ILiveUpdates | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = translator.load(TRANSLATION_DOMAIN);
    const serverSettings = app.serviceManager.serverSettings;
    const model = new BrowserModel({ serverSettings, live });
    const browser = new ExperimentBrowser({ model, translator });

    // In JupyterLab 4.6 the file browser has rank 100 and the running sessions 200.
    app.shell.add(browser, 'left', { rank: 150, type: 'Experiments' });
    if (restorer) {
      restorer.add(browser, 'jupyter-experiments:browser');
    }

    browser.componentOpened.connect((_, name) => {
      void Private.execute(app, CommandIDs.describeComponent, { name }, trans);
    });

    Private.addCommands(app, model, browser, trans);

    if (palette) {
      const category = trans.__('Experiments');
      palette.addItem({ command: CommandIDs.showBrowser, category });
      palette.addItem({ command: CommandIDs.refresh, category });
    }
  }
};

/**
 * Helpers private to this module.
 */
namespace Private {
  /**
   * Add the commands of the sidebar.
   */
  export function addCommands(
    app: JupyterFrontEnd,
    model: BrowserModel,
    browser: ExperimentBrowser,
    trans: TranslationBundle
  ): void {
    const { commands } = app;
    const serverSettings = app.serviceManager.serverSettings;

    commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Experiments'),
      caption: trans.__(
        'Fetch the list shown in the Experiments sidebar again'
      ),
      icon: refreshIcon,
      execute: () => model.refresh()
    });

    commands.addCommand(CommandIDs.showBrowser, {
      label: trans.__('Show Experiments'),
      icon: experimentsIcon,
      execute: () => app.shell.activateById(browser.id)
    });

    commands.addCommand(CommandIDs.goUp, {
      label: trans.__('Go Up'),
      caption: trans.__('Show the level above in the Experiments sidebar'),
      isEnabled: () => model.location.kind !== 'home',
      execute: () => model.up()
    });

    commands.addCommand(CommandIDs.openInTable, {
      label: trans.__('Open in Trial Component List'),
      caption: trans.__(
        'List the trial components of the selected entries in a table'
      ),
      isEnabled: () => tableArgs(model.selectedEntries, trans) !== null,
      execute: async () => {
        const args = tableArgs(model.selectedEntries, trans);
        if (args !== null) {
          await execute(app, CommandIDs.openComponentTable, args, trans);
        }
      }
    });

    commands.addCommand(CommandIDs.describeSelected, {
      label: trans.__('Describe'),
      caption: trans.__(
        'Show the parameters, metrics and artifacts of the trial component'
      ),
      isEnabled: () => componentUnderMenu(app, model) !== null,
      execute: async () => {
        const name = componentUnderMenu(app, model);
        if (name !== null) {
          await execute(app, CommandIDs.describeComponent, { name }, trans);
        }
      }
    });

    commands.addCommand(CommandIDs.copyName, {
      label: () => copyLabel(model.selectedEntries, trans),
      caption: trans.__('Copy the names to use in a notebook, one per line'),
      isEnabled: () => namedEntries(model.selectedEntries).length > 0,
      execute: () => {
        const names = namedEntries(model.selectedEntries).map(e => e.name);
        if (names.length > 0) {
          Clipboard.copyToSystem(names.join('\n'));
        }
      }
    });

    commands.addCommand(CommandIDs.deleteSelection, {
      label: trans.__('Delete…'),
      caption: trans.__(
        'Delete the selected entries after a confirmation that says what is kept'
      ),
      icon: deleteIcon,
      isEnabled: () => deletableEntries(model.selectedEntries) !== null,
      execute: async () => {
        const target = deletableEntries(model.selectedEntries);
        if (target === null) {
          return;
        }

        let plan;
        try {
          plan = await planDeletion(target, serverSettings);
        } catch (error) {
          Notification.error(
            trans.__(
              'Could not read what the deletion would remove: %1',
              messageOf(error)
            ),
            { autoClose: false }
          );
          return;
        }
        if (!(await confirmDeletion(plan, trans))) {
          return;
        }

        const outcome = await runDeletion(plan, serverSettings);
        const summary = deletionSummary(plan, outcome, trans);
        if (outcome.failures.length === 0) {
          Notification.success(summary, { autoClose: 5000 });
        } else if (outcome.deleted.length > 0) {
          Notification.warning(summary, { autoClose: false });
        } else {
          Notification.error(summary, { autoClose: false });
        }
        await model.refresh();
      }
    });
  }

  /**
   * Execute a command of another plugin; tell the user when it is missing or fails.
   */
  export async function execute(
    app: JupyterFrontEnd,
    id: string,
    args: Record<string, string | boolean | string[]>,
    trans: TranslationBundle
  ): Promise<void> {
    if (!app.commands.hasCommand(id)) {
      Notification.error(
        trans.__(
          'The command %1 is not available. Check that the jupyter-experiments extension is fully installed (jupyter labextension list).',
          id
        ),
        { autoClose: false }
      );
      return;
    }
    try {
      await app.commands.execute(id, args);
    } catch (error) {
      Notification.error(messageOf(error), { autoClose: false });
    }
  }

  /**
   * Return the args of the trial component list for a selection, or null
   * when it contains no experiment, trial or unassigned entry.
   */
  export function tableArgs(
    entries: BrowserEntry[],
    trans: TranslationBundle
  ): Record<string, string | boolean | string[]> | null {
    const experiments = entries.filter(e => e.kind === 'experiment');
    const trials = entries.filter(e => e.kind === 'trial');
    const unassigned = entries.some(e => e.kind === 'unassigned');
    if (experiments.length + trials.length === 0 && !unassigned) {
      return null;
    }

    const args: Record<string, string | boolean | string[]> = {};
    if (experiments.length > 0) {
      args.experiments = experiments.map(e => e.name);
    }
    if (trials.length > 0) {
      args.trials = trials.map(e => e.name);
    }
    if (unassigned) {
      args.unassigned = true;
    }
    const labels = [...experiments, ...trials].map(e => e.label);
    if (unassigned) {
      labels.push(trans.__('Unassigned trial components'));
    }
    args.title = nameList(labels, trans, 3);
    return args;
  }

  /**
   * Return the name of the trial component the context menu was opened on,
   * else of the single selected trial component, or null.
   */
  export function componentUnderMenu(
    app: JupyterFrontEnd,
    model: BrowserModel
  ): string | null {
    const row = app.contextMenuHitTest(
      element => element.dataset.kind === 'component'
    );
    if (row?.dataset.name) {
      return row.dataset.name;
    }
    const selected = model.selectedEntries;
    if (selected.length === 1 && selected[0].kind === 'component') {
      return selected[0].name;
    }
    return null;
  }

  /**
   * Return the entries that have a name: all but the unassigned entry.
   */
  export function namedEntries(entries: BrowserEntry[]): BrowserEntry[] {
    return entries.filter(entry => entry.kind !== 'unassigned');
  }

  /**
   * Return the label of the copy command for a selection.
   */
  export function copyLabel(
    entries: BrowserEntry[],
    trans: TranslationBundle
  ): string {
    const named = namedEntries(entries);
    if (named.length !== 1) {
      return trans.__('Copy Names');
    }
    switch (named[0].kind) {
      case 'experiment':
        return trans.__('Copy Experiment Name');
      case 'trial':
        return trans.__('Copy Trial Name');
      default:
        return trans.__('Copy Trial Component Name');
    }
  }

  /**
   * Return a message to show for a failure.
   */
  export function messageOf(error: unknown): string {
    if (error instanceof Error && error.message) {
      return error.message;
    }
    return String(error);
  }
}
