/**
 * Unit tests of the page cache of the trial component table.
 */

import {
  IComponentPage,
  IComponentQuery,
  IMissingParents,
  ITrialComponent
} from '../src/api/components';
import { ComponentPages } from '../src/models/tablepages';

/**
 * A fake server: `total` components named `c00000`, `c00001`, ..., paged by
 * `offset` like the REST API. Replies wait until `release()` unless `autoReply`.
 */
class FakeServer {
  constructor(public total: number) {}

  autoReply = true;
  missing: IMissingParents | undefined = undefined;
  queries: IComponentQuery[] = [];
  inflight = 0;
  maxInflight = 0;

  fetch = (query: IComponentQuery): Promise<IComponentPage> => {
    this.queries.push(query);
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    return new Promise((resolve, reject) => {
      const answer = () => {
        this.inflight--;
        const offset = query.offset ?? 0;
        if (offset > this.total) {
          reject(
            new Error(
              `Invalid offset ${offset}: the query has ${this.total} trial components.`
            )
          );
          return;
        }
        const limit = query.limit ?? 100;
        const end = Math.min(offset + limit, this.total);
        const items: ITrialComponent[] = [];
        for (let index = offset; index < end; index++) {
          items.push({ name: `c${String(index).padStart(5, '0')}` });
        }
        resolve({
          items,
          total: this.total,
          next_cursor: null,
          ...(this.missing ? { missing: this.missing } : {})
        });
      };
      if (this.autoReply) {
        void Promise.resolve().then(answer);
      } else {
        this.waiting.push(answer);
      }
    });
  };

  /**
   * Reply to every waiting request.
   */
  release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach(answer => answer());
  }

  waiting: (() => void)[] = [];
}

/**
 * Wait until the microtasks and timers queued so far have run.
 */
function settle(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}

function pagesOf(
  server: FakeServer,
  query: IComponentQuery = {}
): ComponentPages {
  return new ComponentPages({ query, pageSize: 100, fetch: server.fetch });
}

describe('ComponentPages', () => {
  it('fetches the first page at offset 0', async () => {
    const server = new FakeServer(250);
    const pages = pagesOf(server, { sort_by: 'Name' });

    await pages.start();

    expect(server.queries).toEqual([
      { sort_by: 'Name', limit: 100, offset: 0 }
    ]);
    expect(pages.total).toBe(250);
    expect(pages.row(99)?.name).toBe('c00099');
  });

  it('keeps the missing experiments and trials of the last reply', async () => {
    const server = new FakeServer(0);
    server.missing = { experiments: ['deleted'], trials: [] };
    const pages = pagesOf(server, { experiments: ['deleted'] });

    await pages.start();

    expect(pages.missing).toEqual({ experiments: ['deleted'], trials: [] });
  });

  it('lists nothing missing before a reply or from an older server', async () => {
    const server = new FakeServer(3);
    const pages = pagesOf(server);
    expect(pages.missing).toEqual({ experiments: [], trials: [] });

    await pages.start();

    expect(pages.missing).toEqual({ experiments: [], trials: [] });
  });

  it('fetches a deep page directly', async () => {
    const server = new FakeServer(10000);
    const pages = pagesOf(server);
    await pages.start();

    expect(pages.row(9050)).toBeUndefined();
    await settle();

    expect(server.queries.map(query => query.offset)).toEqual([0, 9000]);
    expect(pages.row(9050)?.name).toBe('c09050');
  });

  it('loads wanted pages in parallel', async () => {
    const server = new FakeServer(10000);
    const pages = pagesOf(server);
    await pages.start();
    server.autoReply = false;

    pages.prefetch(5000, 5200);
    await settle();

    expect(server.inflight).toBe(2);
    expect(server.queries.slice(1).map(query => query.offset)).toEqual([
      5100, 5000
    ]);
    server.release();
    await settle();
    expect(pages.row(5000)?.name).toBe('c05000');
    expect(pages.row(5199)?.name).toBe('c05199');
  });

  it('sends at most MAX_CONCURRENT_REQUESTS at once', async () => {
    const server = new FakeServer(10000);
    const pages = pagesOf(server);
    await pages.start();
    server.autoReply = false;

    pages.prefetch(0, 1000);
    await settle();
    while (server.waiting.length > 0) {
      server.release();
      await settle();
    }

    expect(server.maxInflight).toBe(ComponentPages.MAX_CONCURRENT_REQUESTS);
  });

  it('waits for the total before a second page', async () => {
    const server = new FakeServer(5);
    const pages = pagesOf(server);
    server.autoReply = false;

    pages.prefetch(0, 200);
    await settle();

    expect(server.queries.map(query => query.offset)).toEqual([0]);
    server.release();
    await settle();
    expect(server.queries.map(query => query.offset)).toEqual([0]);
    expect(pages.row(4)?.name).toBe('c00004');
  });

  it('asks for the first page when a deep row comes first', async () => {
    const server = new FakeServer(10000);
    const pages = pagesOf(server);

    pages.row(9050);
    await settle();
    await settle();

    expect(server.queries.map(query => query.offset)).toEqual([0, 9000]);
  });

  it('returns a range of rows', async () => {
    const server = new FakeServer(1000);
    const pages = pagesOf(server);

    const rows = await pages.rows(450, 560);

    expect(rows).toHaveLength(110);
    expect(rows[0].name).toBe('c00450');
    expect(rows[109].name).toBe('c00559');
    expect(server.queries.map(query => query.offset)).toEqual([400, 500]);
  });

  it('refetches the pages of named rows', async () => {
    const server = new FakeServer(1000);
    const pages = pagesOf(server);
    await pages.rows(0, 300);
    server.queries = [];

    await pages.refetch(['c00250']);

    expect(server.queries.map(query => query.offset)).toEqual([200]);
  });

  it('reloads the first page after an offset beyond the total', async () => {
    const server = new FakeServer(1000);
    const pages = pagesOf(server);
    await pages.start();
    const changes: ComponentPages.IChange[] = [];
    pages.changed.connect((_, change) => changes.push(change));
    server.total = 150;

    pages.row(900);
    await settle();
    await settle();

    expect(server.queries.map(query => query.offset)).toEqual([0, 900, 0]);
    expect(pages.total).toBe(150);
    expect(changes.filter(change => change.type === 'error')).toEqual([]);
  });

  it('emits an error when a request fails', async () => {
    const pages = new ComponentPages({
      query: {},
      fetch: () => Promise.reject(new Error('Invalid sort key')),
      pageSize: 100
    });
    const changes: ComponentPages.IChange[] = [];
    pages.changed.connect((_, change) => changes.push(change));

    await pages.start();

    expect(changes).toEqual([{ type: 'error', message: 'Invalid sort key' }]);
  });

  it('does not resend a failed first page on every repaint', async () => {
    let requests = 0;
    const pages = new ComponentPages({
      query: { experiments: ['a/b'] },
      fetch: () => {
        requests++;
        return Promise.reject(new Error('Invalid experiment name'));
      },
      pageSize: 100
    });
    // Each error repaints the grid, which requests its visible rows again.
    pages.changed.connect(() => {
      pages.prefetch(0, 300);
      pages.row(150);
    });

    await pages.start();
    for (let i = 0; i < 20; i++) {
      await settle();
    }

    expect(requests).toBe(1);
    pages.dispose();
  });

  it('drops replies after dispose', async () => {
    const server = new FakeServer(1000);
    server.autoReply = false;
    const pages = pagesOf(server);
    const started = pages.start();

    pages.dispose();
    server.release();
    await started;

    expect(pages.total).toBe(-1);
  });
});
