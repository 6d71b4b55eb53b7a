/**
 * The Chart properties pane: data type, chart type, axes, color, log scales
 * and smoothing of one chart.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { ChartModel } from '../../models/chart';
import {
  ChartDataType,
  ChartType,
  fieldKey,
  fieldLabel,
  IChartColor,
  IFieldRef,
  MAX_SMOOTHING,
  parseFieldKey,
  TimeAxis
} from '../../models/chartspec';
import { METRIC_STATISTICS } from '../../models/tablecolumns';

/**
 * The pane that edits the options of a chart.
 */
export class ChartPropertiesPane extends ReactWidget {
  /**
   * Construct the pane of `options.model`.
   */
  constructor(options: ChartPropertiesPane.IOptions) {
    super();
    this._model = options.model;
    this._trans = options.trans;
    this.addClass('jp-ExperimentChart-properties');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', this._trans.__('Chart properties'));
    this._model.changed.connect(this.update, this);
  }

  /**
   * Dispose of the pane and stop watching the model.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected render(): React.ReactElement {
    return <PropertiesView model={this._model} trans={this._trans} />;
  }

  private _model: ChartModel;
  private _trans: TranslationBundle;
}

/**
 * The namespace for `ChartPropertiesPane` statics.
 */
export namespace ChartPropertiesPane {
  /**
   * The options to create a `ChartPropertiesPane`.
   */
  export interface IOptions {
    /**
     * The chart whose options the pane edits.
     */
    model: ChartModel;

    /**
     * The translation bundle of the pane's texts.
     */
    trans: TranslationBundle;
  }
}

/**
 * The props of the pane's views.
 */
interface IViewProps {
  model: ChartModel;
  trans: TranslationBundle;
}

/**
 * The content of the pane, rendered again on every model change.
 */
function PropertiesView(props: IViewProps): React.ReactElement {
  const { model, trans } = props;
  const options = model.options;
  const fields = model.fields;
  const series = options.dataType === 'series';
  const parallel = options.chartType === 'parallel';
  const histogram = options.chartType === 'histogram';

  const chartTypes: [ChartType, string][] = [
    ['line', trans.__('Line')],
    ['scatter', trans.__('Scatter')],
    ['bar', trans.__('Bar')],
    ['histogram', trans.__('Histogram')],
    ['parallel', trans.__('Parallel coordinates')]
  ];
  const timeAxes: [TimeAxis, string][] = [
    ['step', trans.__('Step')],
    ['wall_time', trans.__('Wall time')],
    ['relative_time', trans.__('Relative time')]
  ];
  const fieldOptions = (
    <FieldOptions
      parameters={fields.parameters}
      metrics={fields.metrics}
      trans={trans}
    />
  );

  return (
    <>
      <h3 className="jp-ExperimentChart-propertiesTitle">
        {trans.__('Chart properties')}
      </h3>
      <Row label={trans.__('Data type')}>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Data type')}
          value={options.dataType}
          disabled={parallel}
          onChange={event => {
            const dataType = event.target.value as ChartDataType;
            // Time series start with the metrics of the summary's Y axis.
            const metrics = [
              ...new Set(
                options.y.filter(f => f.kind === 'metric').map(f => f.name)
              )
            ];
            model.setOptions(
              dataType === 'series' && metrics.length > 0
                ? { dataType, metrics }
                : { dataType }
            );
          }}
        >
          <option value="summary">{trans.__('Summary statistics')}</option>
          <option value="series">{trans.__('Time series')}</option>
        </select>
      </Row>
      <Row label={trans.__('Chart type')}>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Chart type')}
          value={options.chartType}
          onChange={event =>
            model.setOptions({ chartType: event.target.value as ChartType })
          }
        >
          {chartTypes.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </Row>
      {parallel ? (
        <>
          <p className="jp-ExperimentChart-hint">
            {trans.__(
              'Parallel coordinates draw one line per trial component across the summary statistics and parameters below, each axis scaled from its minimum to its maximum.'
            )}
          </p>
          <FieldList
            label={trans.__('Axes')}
            fields={options.dimensions}
            options={fieldOptions}
            trans={trans}
            onChange={dimensions => model.setOptions({ dimensions })}
          />
        </>
      ) : series ? (
        <>
          {histogram ? null : (
            <Row label={trans.__('X axis')}>
              <select
                className="jp-mod-styled"
                aria-label={trans.__('X axis')}
                value={options.timeAxis}
                onChange={event =>
                  model.setOptions({
                    timeAxis: event.target.value as TimeAxis
                  })
                }
              >
                {timeAxes.map(([value, label]) => (
                  <option key={value} value={value}>
                    {label}
                  </option>
                ))}
              </select>
            </Row>
          )}
          <fieldset className="jp-ExperimentChart-metrics">
            <legend>{trans.__('Y axis')}</legend>
            {fields.metrics.length === 0 ? (
              <p className="jp-ExperimentChart-hint">
                {trans.__('The trial components have no metrics.')}
              </p>
            ) : null}
            {fields.metrics.map(metric => (
              <label key={metric} className="jp-ExperimentChart-check">
                <input
                  type="checkbox"
                  checked={options.metrics.includes(metric)}
                  onChange={event => {
                    const rest = options.metrics.filter(m => m !== metric);
                    model.setOptions({
                      metrics: event.target.checked ? [...rest, metric] : rest
                    });
                  }}
                />
                <span>{metric}</span>
              </label>
            ))}
          </fieldset>
        </>
      ) : (
        <>
          {histogram ? null : (
            <Row label={trans.__('X axis')}>
              <select
                className="jp-mod-styled"
                aria-label={trans.__('X axis')}
                value={options.x ? fieldKey(options.x) : ''}
                onChange={event =>
                  model.setOptions({ x: parseFieldKey(event.target.value) })
                }
              >
                <option value="">{trans.__('(choose)')}</option>
                {fieldOptions}
              </select>
            </Row>
          )}
          <FieldList
            label={trans.__('Y axis')}
            fields={options.y}
            options={fieldOptions}
            trans={trans}
            onChange={y => model.setOptions({ y })}
          />
        </>
      )}
      <ColorRow model={model} trans={trans} parameters={fields.parameters} />
      {parallel || histogram ? null : (
        <div className="jp-ExperimentChart-row">
          <label className="jp-ExperimentChart-check">
            <input
              type="checkbox"
              checked={options.logX}
              onChange={event =>
                model.setOptions({ logX: event.target.checked })
              }
            />
            <span>{trans.__('Log scale X')}</span>
          </label>
          <label className="jp-ExperimentChart-check">
            <input
              type="checkbox"
              checked={options.logY}
              onChange={event =>
                model.setOptions({ logY: event.target.checked })
              }
            />
            <span>{trans.__('Log scale Y')}</span>
          </label>
        </div>
      )}
      {series && !parallel && !histogram ? (
        <Row label={trans.__('Smoothing')}>
          <input
            type="range"
            aria-label={trans.__('Smoothing')}
            min={0}
            max={MAX_SMOOTHING}
            step={0.01}
            value={options.smoothing}
            onChange={event =>
              model.setOptions({ smoothing: Number(event.target.value) })
            }
          />
          <output className="jp-ExperimentChart-smoothing">
            {options.smoothing.toFixed(2)}
          </output>
        </Row>
      ) : null}
    </>
  );
}

/**
 * A labelled row of the pane.
 */
function Row(props: {
  label: string;
  children: React.ReactNode;
}): React.ReactElement {
  return (
    <div className="jp-ExperimentChart-row">
      <span className="jp-ExperimentChart-rowLabel">{props.label}</span>
      {props.children}
    </div>
  );
}

/**
 * The `<option>`s of every parameter and every metric statistic.
 */
function FieldOptions(props: {
  parameters: string[];
  metrics: string[];
  trans: TranslationBundle;
}): React.ReactElement {
  const { parameters, metrics, trans } = props;
  return (
    <>
      {parameters.length > 0 ? (
        <optgroup label={trans.__('Parameters')}>
          {parameters.map(name => {
            const field: IFieldRef = { kind: 'parameter', name };
            return (
              <option key={name} value={fieldKey(field)}>
                {fieldLabel(field)}
              </option>
            );
          })}
        </optgroup>
      ) : null}
      {metrics.map(name => (
        <optgroup key={name} label={name}>
          {METRIC_STATISTICS.map(statistic => {
            const field: IFieldRef = { kind: 'metric', name, statistic };
            return (
              <option key={statistic} value={fieldKey(field)}>
                {fieldLabel(field)}
              </option>
            );
          })}
        </optgroup>
      ))}
    </>
  );
}

/**
 * An editable list of fields: one select per field, a remove button each,
 * and an add button.
 */
function FieldList(props: {
  label: string;
  fields: IFieldRef[];
  options: React.ReactElement;
  trans: TranslationBundle;
  onChange: (fields: IFieldRef[]) => void;
}): React.ReactElement {
  const { label, fields, options, trans, onChange } = props;
  const replace = (index: number, key: string): void => {
    const field = parseFieldKey(key);
    const next = [...fields];
    if (field) {
      next[index] = field;
    } else {
      next.splice(index, 1);
    }
    onChange(next);
  };
  return (
    <fieldset className="jp-ExperimentChart-fields">
      <legend>{label}</legend>
      {fields.map((field, index) => (
        <div key={index} className="jp-ExperimentChart-field">
          <select
            className="jp-mod-styled"
            aria-label={trans.__('%1 %2', label, index + 1)}
            value={fieldKey(field)}
            onChange={event => replace(index, event.target.value)}
          >
            {options}
          </select>
          <button
            type="button"
            className="jp-ExperimentChart-remove jp-mod-styled"
            aria-label={trans.__('Remove %1', fieldLabel(field))}
            title={trans.__('Remove')}
            onClick={() => onChange(fields.filter((_, i) => i !== index))}
          >
            {'\u00d7'}
          </button>
        </div>
      ))}
      <select
        className="jp-mod-styled"
        aria-label={trans.__('Add to %1', label)}
        value=""
        onChange={event => {
          const field = parseFieldKey(event.target.value);
          if (field) {
            onChange([...fields, field]);
          }
        }}
      >
        <option value="">{trans.__('Add…')}</option>
        {options}
      </select>
    </fieldset>
  );
}

/**
 * The color choice: none, trial, trial component or a parameter.
 */
function ColorRow(
  props: IViewProps & { parameters: string[] }
): React.ReactElement {
  const { model, trans, parameters } = props;
  const color = model.options.color;
  const value =
    color.by === 'parameter' ? `parameter:${color.parameter ?? ''}` : color.by;
  const parse = (text: string): IChartColor => {
    if (text.startsWith('parameter:')) {
      return { by: 'parameter', parameter: text.slice('parameter:'.length) };
    }
    return { by: text as IChartColor['by'] };
  };
  return (
    <Row label={trans.__('Color')}>
      <select
        className="jp-mod-styled"
        aria-label={trans.__('Color')}
        value={value}
        onChange={event =>
          model.setOptions({ color: parse(event.target.value) })
        }
      >
        <option value="none">{trans.__('None')}</option>
        <option value="trial">{trans.__('Trial')}</option>
        <option value="component">{trans.__('Trial component')}</option>
        {parameters.length > 0 ? (
          <optgroup label={trans.__('Parameters')}>
            {parameters.map(name => (
              <option key={name} value={`parameter:${name}`}>
                {name}
              </option>
            ))}
          </optgroup>
        ) : null}
      </select>
    </Row>
  );
}
