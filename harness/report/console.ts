import type { CheckResult } from '../checks/check-result.js';
import type { NodeLbModel } from '../inspect/lb-model.js';

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
}

/** Failures in full (what, where, expected, seen), then a count per check. */
export function formatCheckResults(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  const failed = results.filter((r) => r.status === 'fail');
  for (const f of failed) {
    const where = [
      `node ${f.node}`,
      f.namespace && `ns ${f.namespace}`,
      f.network && `network ${f.network}`,
      f.service && `service ${f.service}`,
    ];
    lines.push(`FAIL ${f.check}  ${where.filter(Boolean).join('  ')}`);
    lines.push(`     expected: ${f.expected}`);
    lines.push(`     seen:     ${f.seen}`);
  }
  const byCheck = new Map<string, { pass: number; fail: number; skip: number }>();
  for (const r of results) {
    const c = byCheck.get(r.check) ?? { pass: 0, fail: 0, skip: 0 };
    c[r.status]++;
    byCheck.set(r.check, c);
  }
  const rows = [
    ['check', 'pass', 'fail', 'skip'],
    ...[...byCheck].map(([id, c]) => [id, String(c.pass), String(c.fail), String(c.skip)]),
  ];
  if (lines.length) lines.push('');
  lines.push(table(rows));
  lines.push('', `${results.filter((r) => r.status === 'pass').length} passed, ${failed.length} failed`);
  return lines.join('\n');
}

/** The kernel's view per node: network -> service -> VIP -> mark -> real servers. */
export function formatModels(models: readonly NodeLbModel[]): string {
  const lines: string[] = [];
  for (const model of models) {
    lines.push(`node ${model.node} (Docker ${model.dockerVersion})`);
    for (const network of model.networks) {
      const namespaces = network.locations.map((l) => l.namespace).join(', ') || 'no namespace';
      lines.push(`  network ${network.network}${network.ingress ? ' (ingress)' : ''}: state in ${namespaces}`);
      for (const view of network.services) {
        for (const location of network.locations) {
          const rules = location.markRules.filter((r) => r.destination === view.vip);
          const ipvs = location.ipvs.find((s) => s.protocol === 'FWM' && s.fwmark === view.fwmark);
          const reals =
            ipvs?.reals.map((r) => `${r.address}${r.weight === 1 ? '' : ` (w${r.weight})`}`).join(' ') ??
            'no IPVS service';
          const vip = view.endpointMode === 'vip';
          const marks = rules.map((r) => r.mark).join(',') || '-';
          lines.push(
            `    ${view.service.padEnd(14)} ${vip ? `VIP ${view.vip ?? '?'}` : 'dnsrr'} -> mark ${marks} ` +
              `(fwmark ${view.fwmark ?? '?'}) -> ${vip ? reals : 'DNS round robin'}`,
          );
        }
      }
    }
  }
  return lines.join('\n');
}
