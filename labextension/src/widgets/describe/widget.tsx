/**
 * The describe view of one trial component: header, trial stages, metrics,
 * parameters, artifacts, trial mappings, job settings and the tail of the job
 * log.
 */

import {
  Dialog,
  MainAreaWidget,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import {
  infoIcon,
  ReactWidget,
  refreshIcon,
  ToolbarButton
} from '@jupyterlab/ui-components';

import React from 'react';

import {
  IArtifact,
  IComponentSelection,
  IMetricPoint,
  IMetricSummary,
  ITrialComponent,
  MetricValue
} from '../../api/components';
import { artifactLocation, DescribeModel } from '../../models/describe';
import {
  durationOf,
  formatDuration,
  formatMetric,
  formatTime
} from '../../models/tablecolumns';
import { MetricChart } from '../chart/metricchart';

/**
 * The points of each series shown in its table until charts replace it.
 */
export const SERIES_TABLE_POINTS = 10;

/**
 * The content of a describe tab, rendered from a `DescribeModel`.
 */
export class DescribeComponentView extends ReactWidget {
  /**
   * Construct the view of `options.model`, which it disposes with itself.
   */
  constructor(options: DescribeComponentView.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this._links = {
      serverRoot: options.serverRoot ?? null,
      openComponentList: options.onOpenComponentList ?? null,
      openFile: options.onOpenFile ?? null
    };
    this.addClass('jp-DescribeComponent');
    this._model.changed.connect(this.update, this);
  }

  /**
   * The model of the view.
   */
  get model(): DescribeModel {
    return this._model;
  }

  /**
   * Dispose of the view and its model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.dispose();
    super.dispose();
  }

  protected render(): React.ReactElement {
    return (
      <Private.DescribeView
        model={this._model}
        trans={this._trans}
        links={this._links}
      />
    );
  }

  private _links: Private.ILinks;
  private _model: DescribeModel;
  private _trans: TranslationBundle;
}

/**
 * The namespace for `DescribeComponentView` statics.
 */
export namespace DescribeComponentView {
  /**
   * The options to create a `DescribeComponentView`.
   */
  export interface IOptions {
    /**
     * The model to show; the view disposes it.
     */
    model: DescribeModel;

    /**
     * The translation bundle of the view's texts.
     */
    trans: TranslationBundle;

    /**
     * The absolute path of the Jupyter server root; local artifacts below it
     * open in the file browser. Without it no artifact opens.
     */
    serverRoot?: string;

    /**
     * Open the trial component list of a trial or an experiment, when a
     * trial mapping is clicked.
     */
    onOpenComponentList?: (selection: IComponentSelection) => void;

    /**
     * Show a file or folder in the file browser, given its path relative to
     * the server root, when a local artifact is clicked.
     */
    onOpenFile?: (path: string) => void;
  }
}

/**
 * A main-area tab that contains a `DescribeComponentView` and a refresh
 * button. Its title follows the component shown.
 */
export class DescribeComponentPanel extends MainAreaWidget<DescribeComponentView> {
  /**
   * Construct the tab around `options.content`.
   */
  constructor(options: DescribeComponentPanel.IOptions) {
    super({ content: options.content });
    const trans = options.trans;
    const model = options.content.model;
    this.addClass('jp-DescribeComponentPanel');
    this.title.icon = infoIcon;
    this.title.closable = true;
    this._trans = trans;
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: trans.__('Fetch the trial component again'),
        onClick: () => void model.refresh()
      })
    );
    model.changed.connect(this._syncTitle, this);
    this._syncTitle();
  }

  private _syncTitle(): void {
    const model = this.content.model;
    const component = model.component;
    const label = component?.display_name || model.name;
    this.title.label = this._trans.__('Describe: %1', label);
    this.title.caption = this._trans.__('Trial component %1', model.name);
  }

  private _trans: TranslationBundle;
}

/**
 * The namespace for `DescribeComponentPanel` statics.
 */
export namespace DescribeComponentPanel {
  /**
   * The options to create a `DescribeComponentPanel`.
   */
  export interface IOptions {
    /**
     * The view to show.
     */
    content: DescribeComponentView;

    /**
     * The translation bundle of the toolbar and title.
     */
    trans: TranslationBundle;
  }
}

/**
 * Components private to this module.
 */
namespace Private {
  /**
   * The props of the view's sections.
   */
  export interface IViewProps {
    model: DescribeModel;
    trans: TranslationBundle;
  }

  /**
   * What the links of the view open; null where the view has no handler.
   */
  export interface ILinks {
    serverRoot: string | null;
    openComponentList: ((selection: IComponentSelection) => void) | null;
    openFile: ((path: string) => void) | null;
  }

  /**
   * The whole view.
   */
  export function DescribeView(
    props: IViewProps & { links: ILinks }
  ): React.ReactElement {
    const { model, trans, links } = props;
    const component = model.component;
    if (component === null) {
      return (
        <p
          className={
            model.status === 'error'
              ? 'jp-DescribeComponent-message jp-mod-error'
              : 'jp-DescribeComponent-message'
          }
          role="status"
        >
          {model.status === 'error'
            ? trans.__('Error: %1', model.error ?? '')
            : trans.__('Loading %1…', model.name)}
        </p>
      );
    }
    return (
      <div className="jp-DescribeComponent-content">
        <Header component={component} model={model} trans={trans} />
        <Stages model={model} trans={trans} />
        {model.error ? (
          <p className="jp-DescribeComponent-message jp-mod-error" role="alert">
            {trans.__('Error: %1', model.error)}
          </p>
        ) : null}
        <Section id="metrics" title={trans.__('Metrics')}>
          <Metrics component={component} model={model} trans={trans} />
        </Section>
        <Section id="parameters" title={trans.__('Parameters')}>
          <Parameters component={component} trans={trans} />
        </Section>
        <Section id="artifacts" title={trans.__('Artifacts')}>
          <Artifacts component={component} trans={trans} links={links} />
        </Section>
        <Section id="trial-mappings" title={trans.__('Trial mappings')}>
          <TrialMappings model={model} trans={trans} links={links} />
        </Section>
        <Section id="job-settings" title={trans.__('Job settings')}>
          <JobSettings component={component} trans={trans} />
        </Section>
        <Section id="logs" title={trans.__('Logs')}>
          <Logs model={model} trans={trans} />
        </Section>
      </div>
    );
  }

  /**
   * A collapsible section, open at first.
   */
  function Section(props: {
    id: string;
    title: string;
    children: React.ReactNode;
  }): React.ReactElement {
    return (
      <details
        className="jp-DescribeComponent-section"
        data-section={props.id}
        aria-label={props.title}
        open
      >
        <summary className="jp-DescribeComponent-sectionTitle">
          {props.title}
        </summary>
        {props.children}
      </details>
    );
  }

  /**
   * The props of sections that show one component.
   */
  interface IComponentProps {
    component: ITrialComponent;
    trans: TranslationBundle;
  }

  /**
   * Name, status, times and source, and the Stop job button of a running
   * local job.
   */
  function Header(
    props: IComponentProps & { model: DescribeModel }
  ): React.ReactElement {
    const { component, model, trans } = props;
    const duration = durationOf(component, Date.now() / 1000);
    const time = (seconds: number | null | undefined): string =>
      seconds === null || seconds === undefined ? '' : formatTime(seconds);
    const status = component.status ?? trans.__('Unknown');
    const rows: [string, string][] = [
      [trans.__('Name'), component.name],
      [
        trans.__('Status'),
        component.status_message
          ? `${status}: ${component.status_message}`
          : status
      ],
      [trans.__('Created'), time(component.created_at)],
      [trans.__('Last modified'), time(component.modified_at)],
      [trans.__('Started'), time(component.start_time)],
      [trans.__('Ended'), time(component.end_time)],
      [
        trans.__('Duration'),
        duration === undefined ? '' : formatDuration(duration)
      ],
      [
        trans.__('Source'),
        [component.source_type, component.source_arn].filter(Boolean).join(': ')
      ],
      [trans.__('Trials'), (component.trials ?? []).join(', ')],
      [trans.__('Experiments'), (component.experiments ?? []).join(', ')]
    ];
    return (
      <header className="jp-DescribeComponent-header">
        <div className="jp-DescribeComponent-titleBar">
          <h2 className="jp-DescribeComponent-title">
            {component.display_name || component.name}
          </h2>
          {model.canStop ? <StopButton model={model} trans={trans} /> : null}
        </div>
        <dl className="jp-DescribeComponent-facts">
          {rows
            .filter(([, value]) => value !== '')
            .map(([label, value]) => (
              <div key={label} className="jp-DescribeComponent-fact">
                <dt>{label}</dt>
                <dd
                  className={
                    label === trans.__('Status')
                      ? `jp-DescribeComponent-status jp-mod-${(component.status ?? 'unknown').toLowerCase()}`
                      : undefined
                  }
                >
                  {value}
                </dd>
              </div>
            ))}
        </dl>
      </header>
    );
  }

  /**
   * The button that stops a running local job after a confirmation.
   */
  function StopButton(props: IViewProps): React.ReactElement {
    const { model, trans } = props;
    const onClick = async (): Promise<void> => {
      const name = model.name;
      const label = model.component?.display_name || name;
      const answer = await showDialog({
        title: trans.__('Stop job'),
        body: trans.__(
          'Stop the job of %1? Its training process is sent SIGTERM, then SIGKILL if it does not end.',
          label
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          Dialog.warnButton({ label: trans.__('Stop job') })
        ]
      });
      if (!answer.button.accept) {
        return;
      }
      try {
        await model.stop();
      } catch (error) {
        await showErrorMessage(
          trans.__('Could not stop the job of %1', label),
          error instanceof Error && error.message
            ? error.message
            : String(error)
        );
      }
    };
    return (
      <button
        type="button"
        className="jp-DescribeComponent-stop jp-mod-styled jp-mod-warn"
        disabled={model.isStopping}
        title={trans.__('Stop the training process of this job')}
        onClick={() => void onClick()}
      >
        {model.isStopping ? trans.__('Stopping…') : trans.__('Stop job')}
      </button>
    );
  }

  /**
   * The other components of the trial, as buttons that switch the view.
   */
  function Stages(props: IViewProps): React.ReactElement | null {
    const { model, trans } = props;
    if (model.stages.length < 2) {
      return null;
    }
    return (
      <nav
        className="jp-DescribeComponent-stages"
        aria-label={trans.__('Trial stages')}
      >
        <h3 className="jp-DescribeComponent-stagesTitle">
          {trans.__('Trial stages of %1', model.trial ?? '')}
        </h3>
        <div className="jp-DescribeComponent-stageButtons">
          {model.stages.map(stage => (
            <button
              key={stage.name}
              type="button"
              className="jp-DescribeComponent-stage jp-mod-styled"
              aria-pressed={stage.name === model.name}
              title={stage.name}
              onClick={() => void model.setName(stage.name)}
            >
              {stage.status
                ? trans.__('%1 (%2)', stage.display_name, stage.status)
                : stage.display_name}
            </button>
          ))}
        </div>
      </nav>
    );
  }

  /**
   * Return a metric value as the table shows it; NaN as an empty cell.
   */
  function metricText(value: MetricValue | undefined): string {
    return value === undefined || value === null ? '' : formatMetric(value);
  }

  /**
   * The summary of every metric, then each series' last points.
   */
  function Metrics(
    props: IComponentProps & { model: DescribeModel }
  ): React.ReactElement {
    const { component, model, trans } = props;
    const metrics = Object.entries(component.metrics ?? {}).sort(([a], [b]) =>
      a.localeCompare(b)
    );
    if (metrics.length === 0) {
      return <Empty text={trans.__('No metrics.')} />;
    }
    const statistics: [keyof IMetricSummary, string][] = [
      ['min', trans.__('Min')],
      ['max', trans.__('Max')],
      ['avg', trans.__('Avg')],
      ['std_dev', trans.__('StdDev')],
      ['last', trans.__('Last')],
      ['count', trans.__('Count')]
    ];
    return (
      <>
        <table className="jp-DescribeComponent-table jp-DescribeComponent-metrics">
          <thead>
            <tr>
              <th scope="col">{trans.__('Metric')}</th>
              {statistics.map(([key, label]) => (
                <th key={key} scope="col">
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {metrics.map(([name, summary]) => (
              <tr key={name} data-metric={name}>
                <th scope="row">{name}</th>
                {statistics.map(([key]) => (
                  <td
                    key={key}
                    className="jp-DescribeComponent-number"
                    title={summary[key] === null ? trans.__('NaN') : undefined}
                  >
                    {metricText(summary[key] as MetricValue | undefined)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {metrics.map(([name, summary]) => (
          <Series
            key={name}
            name={name}
            points={model.series[name]}
            stored={summary.count + (summary.nan_count ?? 0)}
            trans={trans}
          />
        ))}
      </>
    );
  }

  /**
   * One metric's series: a chart of `DescribeModel.series[name]`, drawn
   * again when the series change, then its last points.
   *
   * #### Notes
   * A series longer than `DescribeModel.SERIES_POINTS` arrives downsampled,
   * so its last rows are the last points drawn, not the last points stored,
   * and its caption gives both counts.
   */
  function Series(props: {
    name: string;
    points: IMetricPoint[] | undefined;
    stored: number;
    trans: TranslationBundle;
  }): React.ReactElement {
    const { name, points, stored, trans } = props;
    const last = (points ?? []).slice(-SERIES_TABLE_POINTS);
    return (
      <div className="jp-DescribeComponent-series" data-metric={name}>
        <h4 className="jp-DescribeComponent-seriesTitle">{name}</h4>
        <MetricChart name={name} points={points} trans={trans} />
        {points === undefined ? (
          <Empty text={trans.__('Loading the series…')} />
        ) : (
          <table
            className="jp-DescribeComponent-table"
            aria-label={trans.__('Last points of %1', name)}
          >
            <caption>
              {points.length < stored
                ? trans.__(
                    '%1 points stored, %2 drawn after downsampling: the last %3 drawn',
                    stored,
                    points.length,
                    last.length
                  )
                : trans._n(
                    '%1 point, the last %2 shown',
                    '%1 points, the last %2 shown',
                    points.length,
                    last.length
                  )}
            </caption>
            <thead>
              <tr>
                <th scope="col">{trans.__('Step')}</th>
                <th scope="col">{trans.__('Value')}</th>
                <th scope="col">{trans.__('Time')}</th>
              </tr>
            </thead>
            <tbody>
              {last.map((point, index) => (
                <tr key={`${point.step}-${index}`}>
                  <td className="jp-DescribeComponent-number">{point.step}</td>
                  <td
                    className="jp-DescribeComponent-number"
                    title={point.value === null ? trans.__('NaN') : undefined}
                  >
                    {metricText(point.value)}
                  </td>
                  <td>{formatTime(point.timestamp)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    );
  }

  /**
   * Every parameter with its value and type.
   */
  function Parameters(props: IComponentProps): React.ReactElement {
    const { component, trans } = props;
    const parameters = Object.entries(component.parameters ?? {}).sort(
      ([a], [b]) => a.localeCompare(b)
    );
    if (parameters.length === 0) {
      return <Empty text={trans.__('No parameters.')} />;
    }
    return (
      <table className="jp-DescribeComponent-table jp-DescribeComponent-parameters">
        <thead>
          <tr>
            <th scope="col">{trans.__('Name')}</th>
            <th scope="col">{trans.__('Value')}</th>
            <th scope="col">{trans.__('Type')}</th>
          </tr>
        </thead>
        <tbody>
          {parameters.map(([name, value]) => {
            const type =
              component.parameter_types?.[name] ??
              (value === null ? 'null' : typeof value);
            // A NaN float arrives as null.
            const text =
              type === 'float' && value === null ? 'NaN' : String(value);
            return (
              <tr key={name} data-parameter={name}>
                <th scope="row">{name}</th>
                <td>{text}</td>
                <td>{type}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );
  }

  /**
   * The input and output artifacts.
   */
  function Artifacts(
    props: IComponentProps & { links: ILinks }
  ): React.ReactElement {
    const { component, trans, links } = props;
    return (
      <>
        <h4 className="jp-DescribeComponent-subtitle">{trans.__('Input')}</h4>
        <ArtifactTable
          artifacts={component.input_artifacts ?? {}}
          kind="input"
          trans={trans}
          links={links}
        />
        <h4 className="jp-DescribeComponent-subtitle">{trans.__('Output')}</h4>
        <ArtifactTable
          artifacts={component.output_artifacts ?? {}}
          kind="output"
          trans={trans}
          links={links}
        />
      </>
    );
  }

  /**
   * The artifacts of one kind.
   */
  function ArtifactTable(props: {
    artifacts: Record<string, IArtifact>;
    kind: string;
    trans: TranslationBundle;
    links: ILinks;
  }): React.ReactElement {
    const { trans, links } = props;
    const artifacts = Object.entries(props.artifacts).sort(([a], [b]) =>
      a.localeCompare(b)
    );
    if (artifacts.length === 0) {
      return <Empty text={trans.__('None.')} />;
    }
    return (
      <table className="jp-DescribeComponent-table" data-artifacts={props.kind}>
        <thead>
          <tr>
            <th scope="col">{trans.__('Name')}</th>
            <th scope="col">{trans.__('Value')}</th>
            <th scope="col">{trans.__('Media type')}</th>
          </tr>
        </thead>
        <tbody>
          {artifacts.map(([name, artifact]) => (
            <tr key={name} data-artifact={name}>
              <th scope="row">{name}</th>
              <td className="jp-DescribeComponent-value">
                <ArtifactValue
                  value={artifact.value}
                  trans={trans}
                  links={links}
                />
              </td>
              <td>{artifact.media_type ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }

  /**
   * An artifact value: a button that shows a local file below the server root
   * in the file browser, text with a tooltip for other local paths, and plain
   * text otherwise.
   *
   * #### Notes
   * Remote URIs such as `s3://` or `https://` are never links, so a click
   * cannot make the page leave JupyterLab.
   */
  function ArtifactValue(props: {
    value: string;
    trans: TranslationBundle;
    links: ILinks;
  }): React.ReactElement {
    const { value, trans, links } = props;
    const { serverRoot, openFile } = links;
    if (serverRoot === null || openFile === null) {
      return <>{value}</>;
    }
    const location = artifactLocation(value, serverRoot);
    switch (location.kind) {
      case 'inside':
        return (
          <button
            type="button"
            className="jp-DescribeComponent-link"
            data-path={location.path}
            title={trans.__('Show %1 in the file browser', location.path)}
            onClick={() => openFile(location.path)}
          >
            {value}
          </button>
        );
      case 'outside':
        return (
          <span
            className="jp-DescribeComponent-localPath"
            title={trans.__(
              'The file browser cannot open %1: it is outside the Jupyter server root %2.',
              location.path,
              serverRoot
            )}
          >
            {value}
          </span>
        );
      default:
        return <>{value}</>;
    }
  }

  /**
   * The trials that contain the component and their experiments; each name
   * opens the trial component list of that trial or experiment.
   */
  function TrialMappings(
    props: IViewProps & { links: ILinks }
  ): React.ReactElement {
    const { model, trans, links } = props;
    const mappings = model.mappings;
    if (mappings.length === 0) {
      // With several experiments the pairs arrive after the component.
      return (model.component?.trials?.length ?? 0) > 0 ? (
        <Empty text={trans.__('Loading the trial mappings…')} />
      ) : (
        <Empty text={trans.__('This trial component is in no trial.')} />
      );
    }
    const open = links.openComponentList;
    const name = (
      text: string,
      selection: IComponentSelection,
      tooltip: string
    ): React.ReactElement =>
      open === null ? (
        <>{text}</>
      ) : (
        <button
          type="button"
          className="jp-DescribeComponent-link"
          title={tooltip}
          onClick={() => open(selection)}
        >
          {text}
        </button>
      );
    return (
      <table className="jp-DescribeComponent-table jp-DescribeComponent-mappings">
        <thead>
          <tr>
            <th scope="col">{trans.__('Trial')}</th>
            <th scope="col">{trans.__('Experiment')}</th>
          </tr>
        </thead>
        <tbody>
          {mappings.map(mapping => (
            <tr key={mapping.trial} data-trial={mapping.trial}>
              <td>
                {name(
                  mapping.trial,
                  { trials: [mapping.trial] },
                  trans.__(
                    'Open the trial component list of trial %1',
                    mapping.trial
                  )
                )}
              </td>
              <td>
                {name(
                  mapping.experiment,
                  { experiments: [mapping.experiment] },
                  trans.__(
                    'Open the trial component list of experiment %1',
                    mapping.experiment
                  )
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }

  /**
   * The job settings as keys and values.
   */
  function JobSettings(props: IComponentProps): React.ReactElement {
    const { component, trans } = props;
    const settings = Object.entries(component.job_settings ?? {}).sort(
      ([a], [b]) => a.localeCompare(b)
    );
    if (settings.length === 0) {
      return <Empty text={trans.__('No job settings.')} />;
    }
    return (
      <table className="jp-DescribeComponent-table jp-DescribeComponent-jobSettings">
        <thead>
          <tr>
            <th scope="col">{trans.__('Key')}</th>
            <th scope="col">{trans.__('Value')}</th>
          </tr>
        </thead>
        <tbody>
          {settings.map(([key, value]) => (
            <tr key={key} data-setting={key}>
              <th scope="row">{key}</th>
              <td className="jp-DescribeComponent-value">
                {typeof value === 'string' ? value : JSON.stringify(value)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }

  /**
   * The tail of the job log, refreshed while the job runs.
   */
  function Logs(props: IViewProps): React.ReactElement {
    const { model, trans } = props;
    if (!model.hasLog) {
      return (
        <Empty
          text={trans.__(
            'No job log: this trial component has no output artifact "log".'
          )}
        />
      );
    }
    if (model.logError !== null) {
      return (
        <p className="jp-DescribeComponent-message jp-mod-error">
          {trans.__('The job log could not be read: %1', model.logError)}
        </p>
      );
    }
    const log = model.log;
    if (log === null) {
      return <Empty text={trans.__('Loading the job log…')} />;
    }
    return (
      <>
        <p className="jp-DescribeComponent-logNote">
          {log.truncated
            ? trans._n('Last %1 line', 'Last %1 lines', log.lines.length)
            : trans._n('%1 line', '%1 lines', log.lines.length)}
          {model.isRunning
            ? ` ${trans.__('(refreshing while the job runs)')}`
            : ''}
        </p>
        <pre className="jp-DescribeComponent-log" tabIndex={0}>
          {log.lines.join('\n')}
        </pre>
      </>
    );
  }

  /**
   * A note in place of an empty table.
   */
  function Empty(props: { text: string }): React.ReactElement {
    return <p className="jp-DescribeComponent-empty">{props.text}</p>;
  }
}
