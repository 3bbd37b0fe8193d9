/** The soak's printed verdict: a table of figures, then every finding with its reason. */
import type { SoakReport } from './soak';

/** Sums mix USD and EUR: shown as minor units. */
function money(minor: number): string {
  return `${minor.toLocaleString('en-US')} minor units`;
}

export function formatReport(report: SoakReport): string {
  const { figures, lost, chargedTwice, attention } = report.comparison;
  const rows: [string, string][] = [
    ['payments attempted', String(figures.attempted)],
    ['  succeeded (money taken)', String(figures.succeeded)],
    [
      '  failed (no money taken)',
      `${figures.failed}  (canceled ${figures.canceled}, refused by the host ${figures.refused})`,
    ],
    ['  unresolved', String(figures.unresolved)],
    ['captured', `${figures.captured}  (${money(figures.capturedAmount)})`],
    ['refunded', `${figures.refunded}  (${money(figures.refundedAmount)})`],
    ['lost (must be 0)', String(figures.lost)],
    ['charged twice (must be 0)', String(figures.chargedTwice)],
    ['left needing attention', String(figures.needingAttention)],
    [
      'secrets on the wire (must be 0)',
      `${report.wire.leaks.length}  (${report.wire.messages} bridge messages checked)`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [
    `Fault soak — seed ${report.seed}, ${report.options.payments} payments planned, ${(report.durationMs / 1000).toFixed(1)} s`,
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    '',
    `  injected: kill -9 ×${report.kills.length} (planned ${report.killsPlanned}; restarts ${report.launches - 1}, crashes ${report.crashes.length})` +
      `, sandbox phases ${[...new Set(report.phases)].join(' / ')}`,
    `  the host saw ${report.gatewaySeen.errors} gateway 500s and ${report.gatewaySeen.noAnswer} calls without an answer; the runner nudged a stalled payment ${report.nudges} time(s)`,
    `  lanes: ${Object.entries(report.lanes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}` +
      (report.terminal.requests > 0
        ? `; Concert terminal: ${report.terminal.requests} requests, ${report.terminal.approvals} approvals, ${report.terminal.answerFaults} garbled/dropped answers`
        : ''),
    `  scenarios: ${Object.entries(report.scenarios)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  cashier read the reader for ${report.cashierResolutions} unknown outcome(s); ${report.blockedByReader} sale(s) given up because the reader stayed busy; ${report.notStarted} planned payment(s) not started (time limit)`,
  ];
  if (report.kills.length > 0) {
    lines.push(`  kills: ${report.kills.map((k) => `${k.reason} (back in ${k.downMs} ms)`).join('; ')}`);
  }
  if (report.hostLogLeaks > 0)
    lines.push(`  WARNING: ${report.hostLogLeaks} host log line(s) looked like they held a secret`);
  const section = (title: string, items: string[]) => {
    if (items.length === 0) return;
    lines.push('', `${title}:`, ...items.map((item) => `  - ${item}`));
  };
  section(
    'LOST',
    lost.map((f) => `${f.orderReference ?? '?'} ${f.paymentId ?? ''}: ${f.reason}`),
  );
  section(
    'CHARGED TWICE',
    chargedTwice.map((f) => `${f.orderReference ?? '?'} ${f.paymentId ?? ''}: ${f.reason}`),
  );
  section('SECRETS ON THE WIRE', report.wire.leaks);
  section(
    'Needing attention',
    attention.map((a) => `${a.orderReference} ${a.paymentId} (${a.status}): ${a.reason}`),
  );
  section(
    'Not finished within their bound',
    report.timedOut.map((t) => `${t.orderReference} (${t.status ?? 'not created'})`),
  );
  if (report.crashes.length > 0) section('Host crashes', report.crashes);
  section('Not done by the host by itself', report.unattended);
  for (const trace of report.traces)
    section(`Trace of ${trace.orderReference} (${trace.status ?? 'not created'})`, trace.notes);
  lines.push(
    '',
    report.passed
      ? 'PASS: nothing lost, nothing charged twice, no secret on the wire, no crash, nothing left undone.'
      : 'FAIL',
  );
  if (report.workDir) lines.push(`Evidence (databases, wire recording, host log): ${report.workDir}`);
  return lines.join('\n');
}

/** The figures as JSON (the --json flag). */
export function reportJson(report: SoakReport): Record<string, unknown> {
  return {
    seed: report.seed,
    passed: report.passed,
    duration_s: Math.round(report.durationMs / 100) / 10,
    figures: report.comparison.figures,
    lost: report.comparison.lost,
    charged_twice: report.comparison.chargedTwice,
    needing_attention: report.comparison.attention,
    wire: { messages: report.wire.messages, bytes: report.wire.bytes, secrets: report.wire.leaks.length },
    kills: report.kills,
    kills_planned: report.killsPlanned,
    crashes: report.crashes,
    phases: report.phases,
    lanes: report.lanes,
    scenarios: report.scenarios,
    terminal: report.terminal,
    gateway_seen: report.gatewaySeen,
    cashier_resolutions: report.cashierResolutions,
    blocked_by_reader: report.blockedByReader,
    nudges: report.nudges,
    not_finished: report.timedOut.map((t) => ({ order: t.orderReference, status: t.status })),
    not_started: report.notStarted,
    work_dir: report.workDir,
  };
}
