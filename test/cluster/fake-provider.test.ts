import { parseTestFilter } from '../../harness/checks/check-filter.js';
import { checkCluster } from '../../harness/checks/dataplane.js';
import { Cluster } from '../../harness/cluster/cluster.js';
import { dockerIn } from '../../harness/cluster/swarm-node.js';
import { CommandError, SwarmlabError } from '../../harness/core/errors.js';
import type { ExecResult } from '../../harness/cluster/swarm-node.js';
import { readSwarmState } from '../../harness/inspect/swarm-state.js';
import { CapturedNode, CapturedProvider, capturedNodes } from './fake-provider.js';

// A mixed cluster captured from real engines: m1 Docker 26.1.5 (trixie), w1 and w2 Docker 20.10.24
// (bookworm), web-api deployed (test/fixtures/README.md).
const capture = 'docker-26.1.5-mixed-web-api';

describe('a provider of plain objects answering from a capture drives check end to end', () => {
  it('attaches the cluster and passes every check on the healthy capture, reading each node once', async () => {
    const provider = new CapturedProvider('mixed', capturedNodes(capture));
    const { results } = await checkCluster(await Cluster.attach(provider, 'mixed'), parseTestFilter([]));
    expect(results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(new Set(results.map((r) => r.check.split('.')[0]))).toEqual(new Set(['lb', 'net', 'dns']));
    expect(new Set(results.map((r) => r.node))).toEqual(new Set(['mixed-m1', 'mixed-w1', 'mixed-w2']));
    for (const node of provider.captured) {
      expect(node.execs.filter((e) => e === '# swarmlab node-dump.sh')).toHaveLength(1);
    }
    // The managers' state once, on the one manager; DNS from a probe task of each network.
    expect(provider.captured.flatMap((n) => n.execs.filter((e) => e === '# swarmlab swarm-state.sh'))).toHaveLength(1);
    expect(provider.captured.flatMap((n) => n.execs.filter((e) => e === '# swarmlab nsenter-task.sh'))).not.toEqual([]);
  });

  it('finds a real server missing on one node when the capture has it removed', async () => {
    // w1's IPVS table without api's second task (10.0.1.7): a node that never sends to that replica.
    const edit = (file: string, text: string) =>
      file === 'w1.node-dump.txt' ? text.replace(/^ {2}-> 10\.0\.1\.7:0 .*\n/m, '') : text;
    const provider = new CapturedProvider('mixed', capturedNodes(capture, edit));
    const { results } = await checkCluster(await Cluster.attach(provider, 'mixed'), parseTestFilter([]));
    expect(results.filter((r) => r.status === 'fail').map((r) => [r.check, r.node, r.service, r.seen])).toEqual([
      ['lb.backends', 'mixed-w1', 'api', 'missing 10.0.1.7; stale none'],
    ]);
  });

  it('reads nothing the selection does not need: with only lb checks, no task is entered for DNS', async () => {
    const provider = new CapturedProvider('mixed', capturedNodes(capture));
    const { results } = await checkCluster(await Cluster.attach(provider, 'mixed'), parseTestFilter(['^lb\\.']));
    expect(results.length).toBeGreaterThan(0);
    expect(results.every((r) => r.check.startsWith('lb.'))).toBe(true);
    expect(provider.captured.flatMap((n) => n.execs.filter((e) => e === '# swarmlab nsenter-task.sh'))).toEqual([]);
  });
});

describe('reads of the Swarm state go to any manager that answers', () => {
  /** The capture's cluster with a second manager, m2, that answers what m1 answers unless told otherwise. */
  function withSecondManager(m2Answer?: (argv: readonly string[]) => string | ExecResult | undefined) {
    const [m1, ...workers] = capturedNodes(capture);
    if (m1?.role !== 'manager') throw new Error('the capture starts with no manager');
    const m2 = new CapturedNode('m2', 'mixed-m2', 'manager', '', m2Answer ?? m1.answer);
    const nodes = [m1, m2, ...workers];
    return { cluster: new Cluster('mixed', nodes, new CapturedProvider('mixed', nodes)), m1, m2 };
  }
  const failing = (output: string): ExecResult => ({ exitCode: 1, stdout: '', stderr: output });

  it('passes over a stopped manager, and keeps asking the one that answered', async () => {
    const { cluster, m1, m2 } = withSecondManager();
    await m1.stop();
    expect((await readSwarmState(cluster)).services.map((s) => s.name).sort()).toEqual(['api', 'web']);
    await m1.start();
    await readSwarmState(cluster);
    expect(m1.execs).toEqual([]);
    expect(m2.execs).toEqual(['# swarmlab swarm-state.sh', '# swarmlab swarm-state.sh']);
  });

  it('passes over a manager without a daemon or a leader, and names each when none answers', async () => {
    // The words of the docker CLI 26.1 when its daemon is down, and of a manager that lost quorum.
    const { cluster, m1 } = withSecondManager(() =>
      failing('Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader.'),
    );
    await m1.stop();
    const error = await readSwarmState(cluster).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwarmlabError);
    expect((error as Error).message).toMatch(
      /no manager of cluster "mixed" answers:\n {2}mixed-m1: node mixed-m1 does not answer: stopped\n {2}mixed-m2: .*does not have a leader/,
    );
  });

  it('throws a failure of the command itself at once, without trying another manager', async () => {
    const { cluster, m1, m2 } = withSecondManager();
    const error = await cluster
      .onManager((m) => dockerIn(m, ['service', 'inspect', 'nothing']))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(m1.execs).toEqual(['docker service inspect nothing']);
    expect(m2.execs).toEqual([]);
  });
});
