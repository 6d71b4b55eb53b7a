/**
 * The Experiments sidebar panel.
 */

import { ITranslator } from '@jupyterlab/translation';
import {
  refreshIcon,
  SidePanel,
  ToolbarButton
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { ISignal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

import { experimentsIcon } from '../icons';
import { BrowserModel } from '../models/browser';
import { BrowserView } from './browser/view';

/**
 * The translation domain of the extension's UI strings.
 */
export const TRANSLATION_DOMAIN = 'jupyter_experiments';

/**
 * A sidebar panel that browses the experiments, trials and trial components
 * of the tracking store.
 *
 * #### Notes
 * The panel refreshes its model each time it is shown, so a level that went
 * stale while the panel was hidden is fetched again.
 */
export class ExperimentBrowser extends SidePanel {
  /**
   * Construct the panel around `options.model`.
   */
  constructor(options: ExperimentBrowser.IOptions) {
    const trans = options.translator.load(TRANSLATION_DOMAIN);
    super({ content: new Panel(), translator: options.translator });
    this._model = options.model;

    this.id = options.id ?? 'jp-experiments-browser';
    this.addClass('jp-ExperimentBrowser');
    this.title.icon = experimentsIcon;
    this.title.caption = trans.__('Experiments');

    const heading = new Widget({ node: document.createElement('h2') });
    heading.node.textContent = trans.__('Experiments');
    heading.addClass('jp-ExperimentBrowser-title');
    this.header.addWidget(heading);

    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Refresh the list'),
        onClick: () => void this._model.refresh()
      })
    );
    this.toolbar.node.setAttribute(
      'aria-label',
      trans.__('Experiments toolbar')
    );

    this._view = new BrowserView({ model: this._model, trans });
    this._view.id = `${this.id}-view`;
    this.addWidget(this._view);
  }

  /**
   * The model of the panel.
   */
  get model(): BrowserModel {
    return this._model;
  }

  /**
   * A signal emitted with the name of a trial component opened by a
   * double-click or Enter.
   */
  get componentOpened(): ISignal<BrowserView, string> {
    return this._view.componentOpened;
  }

  /**
   * Give the keyboard focus to the list.
   */
  focusList(): void {
    this._view.focusGrid();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.refresh();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (this.isAttached && !this.node.contains(document.activeElement)) {
      this._view.focusGrid();
    }
  }

  private _model: BrowserModel;
  private _view: BrowserView;
}

/**
 * The namespace for `ExperimentBrowser` statics.
 */
export namespace ExperimentBrowser {
  /**
   * The options to create an `ExperimentBrowser`.
   */
  export interface IOptions {
    /**
     * The model of the panel.
     */
    model: BrowserModel;

    /**
     * The application's translator.
     */
    translator: ITranslator;

    /**
     * The DOM id of the panel; defaults to `jp-experiments-browser`.
     */
    id?: string;
  }
}
