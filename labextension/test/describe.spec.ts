/**
 * Unit tests of the describe view's model: artifact locations, trial
 * mappings and the Stop job request, against an in-memory REST API.
 */

import { ITrialComponent } from '../src/api/components';
import { artifactLocation, DescribeModel } from '../src/models/describe';
import {
  failure,
  fakeServer,
  IFakeReply,
  IFakeRequest,
  page
} from './fakeserver';

const ROOT = '/home/ada/work';

describe('artifactLocation', () => {
  it('makes a file URI below the root relative', () => {
    expect(artifactLocation(`file://${ROOT}/runs/job.log`, ROOT)).toEqual({
      kind: 'inside',
      path: 'runs/job.log'
    });
  });

  it('makes an absolute path below the root relative', () => {
    expect(artifactLocation(`${ROOT}/data/`, ROOT)).toEqual({
      kind: 'inside',
      path: 'data'
    });
  });

  it('returns an empty path for the root', () => {
    expect(artifactLocation(`file://${ROOT}`, `${ROOT}/`)).toEqual({
      kind: 'inside',
      path: ''
    });
  });

  it('decodes percent escapes of file URIs', () => {
    expect(artifactLocation(`file://${ROOT}/my%20runs/a.txt`, ROOT)).toEqual({
      kind: 'inside',
      path: 'my runs/a.txt'
    });
  });

  it('accepts file URIs of localhost', () => {
    expect(artifactLocation(`file://localhost${ROOT}/a.txt`, ROOT)).toEqual({
      kind: 'inside',
      path: 'a.txt'
    });
  });

  it('keeps a path outside the root absolute', () => {
    expect(artifactLocation('file:///data/mnist/raw', ROOT)).toEqual({
      kind: 'outside',
      path: '/data/mnist/raw'
    });
  });

  it('resolves .. before comparing with the root', () => {
    expect(artifactLocation(`${ROOT}/../secrets`, ROOT)).toEqual({
      kind: 'outside',
      path: '/home/ada/secrets'
    });
  });

  it('does not take a sibling with the same prefix as inside', () => {
    expect(artifactLocation(`${ROOT}-old/a.txt`, ROOT).kind).toBe('outside');
  });

  it('treats every path as inside the root /', () => {
    expect(artifactLocation('/data/a.txt', '/')).toEqual({
      kind: 'inside',
      path: 'data/a.txt'
    });
  });

  it('compares Windows paths with a drive letter', () => {
    expect(
      artifactLocation('file:///C:/Users/ada/runs/a.txt', 'C:\\Users\\ada')
    ).toEqual({ kind: 'inside', path: 'runs/a.txt' });
  });

  it.each([
    's3://bucket/mnist/',
    'https://example.org/mnist/train.gz',
    'file://fileserver/share/a.txt',
    'runs/relative.txt',
    '<img src=x onerror=alert(1)>'
  ])('does not take %s as local', value => {
    expect(artifactLocation(value, ROOT)).toEqual({ kind: 'other' });
  });
});

/**
 * The trial component of a running local job in trial `cnn-10`.
 */
function runningJob(): ITrialComponent {
  return {
    name: 'job-1-training-job',
    display_name: 'Training',
    trials: ['cnn-10'],
    experiments: ['mnist-demo'],
    status: 'InProgress',
    source_type: 'local-job',
    metrics: {},
    output_artifacts: {}
  };
}

/**
 * A fake server with one component; `extra` answers the other requests.
 */
function serverWith(
  component: ITrialComponent,
  extra: (request: IFakeRequest) => IFakeReply | null = () => null
) {
  return fakeServer(request => {
    const reply = extra(request);
    if (reply !== null) {
      return reply;
    }
    if (request.path === `trial-components/${component.name}`) {
      return { status: 200, body: component };
    }
    if (request.path === 'query/trial-components') {
      return page([]);
    }
    return failure(404, `No route for ${request.method} ${request.path}`);
  });
}

/**
 * Return a model of `name` that refreshes rarely, so no timer fires in a test.
 */
function modelOf(
  name: string,
  server: ReturnType<typeof fakeServer>
): DescribeModel {
  return new DescribeModel({
    name,
    serverSettings: server.settings,
    refreshIntervalMs: 60_000
  });
}

describe('DescribeModel', () => {
  let model: DescribeModel | null = null;

  afterEach(() => {
    model?.dispose();
    model = null;
  });

  it('loads the component', async () => {
    const server = serverWith(runningJob());
    model = modelOf('job-1-training-job', server);

    await model.refresh();

    expect(model.status).toBe('ready');
    expect(model.component?.display_name).toBe('Training');
  });

  it('drops a component deleted since it was shown', async () => {
    let deleted = false;
    const server = serverWith(runningJob(), request =>
      deleted && request.path === 'trial-components/job-1-training-job'
        ? failure(404, "Trial component 'job-1-training-job' not found.")
        : null
    );
    model = modelOf('job-1-training-job', server);
    await model.refresh();
    deleted = true;

    await model.refresh();

    expect(model.component).toBeNull();
    expect(model.error).toBe("Trial component 'job-1-training-job' not found.");
  });

  it('keeps the component shown when a refresh fails', async () => {
    let failing = false;
    const server = serverWith(runningJob(), () =>
      failing ? failure(500, 'Unhandled error') : null
    );
    model = modelOf('job-1-training-job', server);
    await model.refresh();
    failing = true;

    await model.refresh();

    expect(model.component?.display_name).toBe('Training');
  });

  it('stores the server message of a missing component', async () => {
    const server = fakeServer(() =>
      failure(404, "Trial component 'gone' not found.")
    );
    model = modelOf('gone', server);

    await model.refresh();

    expect(model.status).toBe('error');
    expect(model.error).toBe("Trial component 'gone' not found.");
  });

  it('takes the trial mappings from the component', async () => {
    const server = serverWith({
      ...runningJob(),
      trials: ['cnn-10', 'baseline'],
      experiments: ['mnist-demo', 'fashion-demo'],
      trial_mappings: [
        { trial: 'cnn-10', experiment: 'mnist-demo' },
        { trial: 'baseline', experiment: 'fashion-demo' }
      ]
    });
    model = modelOf('job-1-training-job', server);

    await model.refresh();

    expect(model.mappings).toEqual([
      { trial: 'cnn-10', experiment: 'mnist-demo' },
      { trial: 'baseline', experiment: 'fashion-demo' }
    ]);
  });

  it('fetches no trial list for the mappings', async () => {
    const server = serverWith({
      ...runningJob(),
      trial_mappings: [{ trial: 'cnn-10', experiment: 'mnist-demo' }]
    });
    model = modelOf('job-1-training-job', server);

    await model.refresh();

    expect(server.requests.some(r => r.path.endsWith('/trials'))).toBe(false);
  });

  it('emits no change for the same mappings on a refresh', async () => {
    const server = serverWith({
      ...runningJob(),
      trial_mappings: [{ trial: 'cnn-10', experiment: 'mnist-demo' }]
    });
    model = modelOf('job-1-training-job', server);
    await model.refresh();
    const before = model.mappings;

    await model.refresh();

    expect(model.mappings).toBe(before);
  });

  it('has no mappings for a component in no trial', async () => {
    const server = serverWith({ ...runningJob(), trials: [], experiments: [] });
    model = modelOf('job-1-training-job', server);

    await model.refresh();

    expect(model.mappings).toEqual([]);
  });

  it.each([
    ['local-job', 'InProgress', true],
    ['local-job', 'Stopping', false],
    ['local-job', 'Completed', false],
    ['sagemaker-training-job', 'InProgress', false],
    [null, 'InProgress', false]
  ])(
    'offers stop for source %s with status %s: %s',
    async (source, status, expected) => {
      const server = serverWith({
        ...runningJob(),
        source_type: source,
        status
      });
      model = modelOf('job-1-training-job', server);

      await model.refresh();

      expect(model.canStop).toBe(expected);
    }
  );

  it('posts the stop request and shows the reply', async () => {
    const stopping = { ...runningJob(), status: 'Stopping' };
    const server = serverWith(runningJob(), request =>
      request.path === 'trial-components/job-1-training-job/stop'
        ? { status: 202, body: stopping }
        : null
    );
    model = modelOf('job-1-training-job', server);
    await model.refresh();
    const statuses: (string | null | undefined)[] = [];
    model.changed.connect(sender => statuses.push(sender.component?.status));

    await model.stop();

    const stop = server.requests.find(r => r.path.endsWith('/stop'));
    expect(stop?.method).toBe('POST');
    expect(stop?.body).toBeUndefined();
    expect(statuses).toContain('Stopping');
    expect(model.isStopping).toBe(false);
  });

  it('marks the stop request as in flight', async () => {
    const server = serverWith(runningJob(), request =>
      request.path.endsWith('/stop')
        ? { status: 202, body: { ...runningJob(), status: 'Stopping' } }
        : null
    );
    model = modelOf('job-1-training-job', server);
    await model.refresh();

    const stopped = model.stop();
    const during = model.isStopping;
    await stopped;

    expect(during).toBe(true);
    expect(model.isStopping).toBe(false);
  });

  it('rejects a refused stop with the server message', async () => {
    const message =
      "Job 'job-1-training-job' is not running: its status is Completed.";
    const server = serverWith(runningJob(), request =>
      request.path.endsWith('/stop') ? failure(409, message) : null
    );
    model = modelOf('job-1-training-job', server);
    await model.refresh();

    await expect(model.stop()).rejects.toThrow(message);

    expect(model.isStopping).toBe(false);
  });

  it('sends one stop request for a double click', async () => {
    const server = serverWith(runningJob(), request =>
      request.path.endsWith('/stop')
        ? { status: 202, body: { ...runningJob(), status: 'Stopping' } }
        : null
    );
    model = modelOf('job-1-training-job', server);
    await model.refresh();

    await Promise.all([model.stop(), model.stop()]);

    const stops = server.requests.filter(r => r.path.endsWith('/stop'));
    expect(stops).toHaveLength(1);
  });
});
