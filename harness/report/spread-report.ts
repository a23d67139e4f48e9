import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpreadMeasurement } from '../traffic/spread.js';
import type { ReachabilityTable } from '../traffic/reachability.js';
import type { SpreadFromEveryNode } from '../traffic/spread-everywhere.js';

const barWidth = 40;

/** A table with a bar per replica, the test's verdict, latency and errors. */
export function formatSpread(m: SpreadMeasurement): string {
  const v = m.verdict;
  const lines = [
    `spread ${m.request.from} -> ${m.request.to}: ${v.requests} requests ` +
      `(${m.request.keepalive ? 'keep-alive' : 'fresh connections'}, concurrency ${m.request.concurrency}) ` +
      `from ${m.clientTask} on ${m.clientNode}, ${m.requestsPerSecond.toFixed(0)} req/s ` +
      `(${(m.durationMs / 1000).toFixed(1)} s with the client's start)`,
    `expected shares: ${m.weightsFrom}`,
  ];
  const maxShare = Math.max(...v.replicas.map((r) => Math.max(r.share, r.expectedShare)), 0.0001);
  for (const r of v.replicas) {
    const bar = '#'.repeat(Math.round((r.share / maxShare) * barWidth)).padEnd(barWidth);
    const deviation = `${r.deviation >= 0 ? '+' : ''}${percent(r.deviation)}`;
    lines.push(
      `  ${r.replica.padEnd(16)} ${String(r.count).padStart(6)}  ${percent(r.share).padStart(6)}  ${bar}  ` +
        `expected ${percent(r.expectedShare)}  ${deviation}`,
    );
  }
  // With no answer at all there is no spread to judge and no latency to report: say what failed instead.
  if (v.answered === 0) {
    lines.push(`errors: ${errorSummary(v.errors)}`, `FAIL: ${failureReason(m)}`);
    return lines.join('\n');
  }
  lines.push(
    v.degreesOfFreedom === 0
      ? 'one replica: no spread to judge, only that it answered'
      : `chi-square ${v.chiSquare.toFixed(2)} on ${v.degreesOfFreedom} df, p = ${v.pValue.toPrecision(3)} (alpha ${v.alpha})` +
          (v.underpowered
            ? `  WARNING: ${v.answered} answers are fewer than the ${v.requiredRequests} needed to detect the configured skew`
            : ''),
    `latency ms: ${(['p50', 'p90', 'p99', 'max'] as const).map((k) => `${k} ${v.latencyMs[k].toFixed(1)}`).join('  ')}  ` +
      `near a SYN retransmit (1 s/3 s): ${v.latencyMs.nearSynRetransmit}`,
  );
  if (Object.keys(v.errors).length) lines.push(`errors: ${errorSummary(v.errors)}`);
  if (v.silent.length) lines.push(`never answered: ${v.silent.join(', ')}`);
  lines.push(v.pass ? 'PASS' : `FAIL: ${failureReason(m)}`);
  return lines.join('\n');
}

/** `spread --from all`: each node's full spread, then one line per node (the node x replica picture at a glance). */
export function formatSpreadFromEveryNode(all: SpreadFromEveryNode): string {
  const sections = all.perNode.flatMap((n) => {
    if (n.skipped !== undefined) return [];
    return [n.measurement ? formatSpread(n.measurement) : `${n.node}: ERROR ${n.error}`];
  });
  const width = Math.max(...all.perNode.map((n) => n.node.length), 4);
  const summary = all.perNode.map((n) => {
    const m = n.measurement;
    if (n.skipped !== undefined) return `  ${n.node.padEnd(width)}  SKIP   no client task: ${n.skipped}`;
    if (!m) return `  ${n.node.padEnd(width)}  ERROR  ${n.error}`;
    const counts = m.verdict.replicas.map((r) => `${r.replica} ${r.count}`).join(', ');
    return `  ${n.node.padEnd(width)}  ${m.verdict.pass ? 'PASS ' : 'FAIL '}  ${counts}${m.verdict.pass ? '' : ` (${failureReason(m)})`}`;
  });
  const failed = all.perNode
    .filter((n) => n.skipped === undefined && n.measurement?.verdict.pass !== true)
    .map((n) => n.node);
  return [
    ...sections,
    '',
    `spread to ${all.to} from a client on every node:`,
    ...summary,
    all.pass ? 'PASS' : failed.length ? `FAIL on ${failed.join(', ')}` : 'FAIL: no node has a client task',
  ].join('\n');
}

/** Reachability as a table: a row per service and path, a column per client node, answered/sent in each cell. */
export function formatReachability(table: ReachabilityTable): string {
  const nodes = [...new Set(table.cells.map((c) => c.from))];
  const rows = [...new Set(table.cells.map((c) => `${c.service}\t${c.via}`))];
  const serviceWidth = Math.max(7, ...table.cells.map((c) => c.service.length));
  const viaWidth = Math.max(3, ...table.cells.map((c) => c.via.length));
  const cellWidth = Math.max(5, ...nodes.map((n) => n.length));
  const line = (service: string, via: string, cells: string[]) =>
    `  ${service.padEnd(serviceWidth)}  ${via.padEnd(viaWidth)}  ${cells.map((c) => c.padEnd(cellWidth)).join('  ')}`.trimEnd();
  const failed = table.cells.filter((c) => c.answered < c.sent);
  return [
    'reachability (answered/sent, from a client on each node):',
    line('service', 'via', nodes),
    ...rows.map((row) => {
      const [service = '', via = ''] = row.split('\t');
      const cells = nodes.map((n) => {
        const c = table.cells.find((x) => x.from === n && x.service === service && x.via === via);
        return c ? `${c.answered}/${c.sent}` : '-';
      });
      return line(service, via, cells);
    }),
    ...failed.map((c) => `  from ${c.from} to ${c.service} by ${c.via} (${c.target}): ${c.error ?? 'no answer'}`),
    table.pass ? 'PASS' : `FAIL: ${failed.length} of ${table.cells.length} paths not answered every time`,
  ].join('\n');
}

function errorSummary(errors: Record<string, number>): string {
  return Object.entries(errors)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export function failureReason(m: SpreadMeasurement): string {
  const v = m.verdict;
  if (v.answered === 0) {
    const early =
      v.requests < m.request.requests
        ? `; the client stopped after ${v.requests} of ${m.request.requests} requests failed with no answer`
        : '';
    return `no request was answered (${errorSummary(v.errors) || 'no request sent'})${early}`;
  }
  if (v.silent.length) return `${v.silent.join(', ')} never answered`;
  if (Object.keys(v.errors).length) return `${Object.values(v.errors).reduce((a, b) => a + b, 0)} requests failed`;
  const worst = v.replicas.reduce((a, b) => (Math.abs(b.deviation) > Math.abs(a.deviation) ? b : a));
  return (
    `spread differs from the expected shares (p = ${v.pValue.toPrecision(3)} < ${v.alpha}); ` +
    `furthest off: ${worst.replica} with ${percent(worst.share)} for an expected ${percent(worst.expectedShare)}`
  );
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** An SVG picture on a white ground with a bold title line. */
function svgDocument(width: number, height: number, title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="white"/><text x="10" y="20" font-weight="bold">${escapeXml(title)}</text>` +
    `${body}</svg>\n`
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);
}

/** Bars of observed share per replica with a tick at the expected share. */
export function spreadSvg(m: SpreadMeasurement): string {
  const rows = m.verdict.replicas;
  const width = 640;
  const rowHeight = 28;
  const left = 150;
  const plot = width - left - 60;
  const height = 50 + rows.length * rowHeight;
  const maxShare = Math.max(...rows.map((r) => Math.max(r.share, r.expectedShare)), 0.0001);
  const parts = rows.map((r, i) => {
    const y = 40 + i * rowHeight;
    const w = (r.share / maxShare) * plot;
    const x = left + (r.expectedShare / maxShare) * plot;
    return (
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${escapeXml(r.replica)}</text>` +
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="20" fill="#4a7ebb"/>` +
      `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y - 3}" y2="${y + 23}" stroke="#c0392b" stroke-width="2"/>` +
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + 15}">${(r.share * 100).toFixed(1)}% (${r.count})</text>`
    );
  });
  const title = `${m.request.from} -> ${m.request.to}: ${m.verdict.requests} requests, p = ${m.verdict.pValue.toPrecision(3)} (red: expected share)`;
  return svgDocument(width, height, title, parts.join(''));
}

/** Histogram of request latencies on a log scale, where 1 s and 3 s retransmit stalls stand out. */
export function latencySvg(m: SpreadMeasurement): string {
  const values = m.records.filter((r) => r.ok).map((r) => Math.max(r.ms, 0.1));
  const bins = 40;
  const lo = Math.log10(0.1);
  const hi = Math.log10(Math.max(5000, ...values));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const bin = Math.min(bins - 1, Math.floor(((Math.log10(v) - lo) / (hi - lo)) * bins));
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  const width = 640;
  const height = 220;
  const maxCount = Math.max(...counts, 1);
  const bw = (width - 60) / bins;
  const bars = counts.map((c, i) => {
    const h = (c / maxCount) * 150;
    const x = (40 + i * bw).toFixed(1);
    return `<rect x="${x}" y="${(180 - h).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#4a7ebb"/>`;
  });
  const ticks = [1, 10, 100, 1000].map((ms) => {
    const x = (40 + ((Math.log10(ms) - lo) / (hi - lo)) * (width - 60)).toFixed(1);
    return (
      `<line x1="${x}" x2="${x}" y1="180" y2="185" stroke="black"/>` +
      `<text x="${x}" y="198" text-anchor="middle">${ms} ms</text>`
    );
  });
  const axis = `<line x1="40" x2="${width - 20}" y1="180" y2="180" stroke="black"/>`;
  return svgDocument(
    width,
    height,
    `latency of ${values.length} requests (log scale)`,
    `${bars.join('')}${axis}${ticks.join('')}`,
  );
}

/** Writes spread.json (everything, with every request), spread.svg and latency.svg. */
export async function writeSpreadArtifacts(m: SpreadMeasurement, dir: string, prefix = 'spread'): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [`${prefix}.json`, `${JSON.stringify(m, null, 2)}\n`],
    [`${prefix}.svg`, spreadSvg(m)],
    [`${prefix}-latency.svg`, latencySvg(m)],
  ];
  for (const [name, text] of files) await writeFile(join(dir, name), text);
  return files.map(([name]) => join(dir, name));
}
