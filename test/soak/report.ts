/** The soak's printed verdict: per lane, a table of figures and every finding; then a summary. */
import type { LaneReport, SoakReport } from './soak';

const LABELS: Record<string, string> = { plutopay: 'PlutoPay', payplug: 'PayPlug', plural: 'Plural' };

/** Sums mix currencies: shown as minor units. */
function money(minor: number): string {
  return `${minor.toLocaleString('en-US')} minor units`;
}

function formatLane(lane: LaneReport): string[] {
  const { figures, lost, chargedTwice, attention } = lane.comparison;
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
    ['secrets on the wire (must be 0)', `${lane.wire.leaks.length}  (${lane.wire.messages} bridge messages checked)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const link = lane.gateway !== 'plutopay';
  const lines = [
    `${LABELS[lane.gateway] ?? lane.gateway} lane — ${lane.payments} payments planned, ${(lane.durationMs / 1000).toFixed(1)} s`,
    '',
    ...rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`),
    '',
    `  injected: kill -9 ×${lane.kills.length} (planned ${lane.killsPlanned}; restarts ${lane.launches - 1}, crashes ${lane.crashes.length})` +
      `, sandbox phases ${[...new Set(lane.phases)].join(' / ')}`,
    `  the host saw ${lane.gatewaySeen.errors} gateway 500s and ${lane.gatewaySeen.noAnswer} calls without an answer; the runner nudged a stalled payment ${lane.nudges} time(s); ${lane.landedLate} request(s) landed late`,
    `  ${link ? 'counters' : 'readers'}: ${Object.entries(lane.lanes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}` +
      (lane.terminal.requests > 0
        ? `; Concert terminal: ${lane.terminal.requests} requests, ${lane.terminal.approvals} approvals, ${lane.terminal.answerFaults} garbled/dropped answers`
        : ''),
    `  scenarios: ${Object.entries(lane.scenarios)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  if (link) {
    lines.push(
      `  customer: ${lane.customer.attempts} attempt(s) on the link's page — ${lane.customer.approvals} approved, ${lane.customer.declines} declined, ${lane.customer.refused} refused (link closed); ${lane.customer.whileHostDown} paid while the host was down; ${lane.notStarted} planned payment(s) not started (time limit)`,
    );
  } else {
    lines.push(
      `  cashier read the reader for ${lane.cashierResolutions} unknown outcome(s); ${lane.blockedByReader} sale(s) given up because the reader stayed busy; ${lane.notStarted} planned payment(s) not started (time limit)`,
    );
  }
  if (lane.kills.length > 0) {
    lines.push(`  kills: ${lane.kills.map((k) => `${k.reason} (back in ${k.downMs} ms)`).join('; ')}`);
  }
  if (lane.hostLogLeaks > 0)
    lines.push(`  WARNING: ${lane.hostLogLeaks} host log line(s) looked like they held a secret`);
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
  section('SECRETS ON THE WIRE', lane.wire.leaks);
  section(
    'Needing attention',
    attention.map((a) => `${a.orderReference} ${a.paymentId} (${a.status}): ${a.reason}`),
  );
  section(
    'Not finished within their bound',
    lane.timedOut.map((t) => `${t.orderReference} (${t.status ?? 'not created'})`),
  );
  if (lane.crashes.length > 0) section('Host crashes', lane.crashes);
  section('Not done by the host by itself', lane.unattended);
  for (const trace of lane.traces)
    section(`Trace of ${trace.orderReference} (${trace.status ?? 'not created'})`, trace.notes);
  lines.push('', `  ${LABELS[lane.gateway] ?? lane.gateway}: ${lane.passed ? 'PASS' : 'FAIL'}`);
  return lines;
}

export function formatReport(report: SoakReport): string {
  const lines = [
    `Fault soak — seed ${report.seed}, lanes ${report.lanes.map((l) => l.gateway).join(', ')}, ${report.options.payments} payments per lane planned, ${(report.durationMs / 1000).toFixed(1)} s`,
  ];
  for (const lane of report.lanes) lines.push('', ...formatLane(lane));
  if (report.lanes.length > 1) {
    const head = [
      'lane',
      'payments',
      'money taken',
      'no money',
      '5xx seen',
      'no answer',
      'kills',
      'lost',
      'charged twice',
    ];
    const rows = report.lanes.map((l) => [
      l.gateway,
      String(l.comparison.figures.attempted),
      String(l.comparison.figures.succeeded),
      String(l.comparison.figures.failed),
      String(l.gatewaySeen.errors),
      String(l.gatewaySeen.noAnswer),
      String(l.kills.length),
      String(l.comparison.figures.lost),
      String(l.comparison.figures.chargedTwice),
    ]);
    const sum = (i: number) => String(rows.reduce((total, row) => total + Number(row[i]), 0));
    rows.push(['total', sum(1), sum(2), sum(3), sum(4), sum(5), sum(6), sum(7), sum(8)]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) =>
      `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
    lines.push('', 'Lanes:', line(head), ...rows.map(line));
  }
  lines.push(
    '',
    report.passed
      ? 'PASS: nothing lost, nothing charged twice, no secret on the wire, no crash, nothing left undone.'
      : `FAIL (${report.lanes
          .filter((l) => !l.passed)
          .map((l) => l.gateway)
          .join(', ')})`,
  );
  if (report.workDir) lines.push(`Evidence (databases, wire recordings, host logs, per lane): ${report.workDir}`);
  return lines.join('\n');
}

function laneJson(lane: LaneReport): Record<string, unknown> {
  return {
    gateway: lane.gateway,
    passed: lane.passed,
    duration_s: Math.round(lane.durationMs / 100) / 10,
    figures: lane.comparison.figures,
    lost: lane.comparison.lost,
    charged_twice: lane.comparison.chargedTwice,
    needing_attention: lane.comparison.attention,
    wire: { messages: lane.wire.messages, bytes: lane.wire.bytes, secrets: lane.wire.leaks.length },
    kills: lane.kills,
    kills_planned: lane.killsPlanned,
    crashes: lane.crashes,
    phases: lane.phases,
    lanes: lane.lanes,
    scenarios: lane.scenarios,
    terminal: lane.terminal,
    customer: lane.customer,
    gateway_seen: lane.gatewaySeen,
    landed_late: lane.landedLate,
    cashier_resolutions: lane.cashierResolutions,
    blocked_by_reader: lane.blockedByReader,
    nudges: lane.nudges,
    unattended: lane.unattended,
    not_finished: lane.timedOut.map((t) => ({ order: t.orderReference, status: t.status })),
    not_started: lane.notStarted,
  };
}

/** The figures as JSON (the --json flag): the run, then each lane. */
export function reportJson(report: SoakReport): Record<string, unknown> {
  return {
    seed: report.seed,
    passed: report.passed,
    duration_s: Math.round(report.durationMs / 100) / 10,
    lanes: report.lanes.map(laneJson),
    work_dir: report.workDir,
  };
}

/** One line per lane, with the seed to replay it (what the CI lane prints). */
export function summaryLines(report: SoakReport): string[] {
  return report.lanes.map((lane) => {
    const f = lane.comparison.figures;
    return (
      `soak seed ${report.seed} ${lane.gateway}: ${f.attempted} payments (${f.succeeded} money taken, ${f.failed} none), ` +
      `${lane.gatewaySeen.errors} gateway 500s and ${lane.gatewaySeen.noAnswer} unanswered calls seen, ` +
      (lane.landedLate > 0 ? `${lane.landedLate} landed late, ` : '') +
      `kill -9 ×${lane.kills.length}, lost ${f.lost}, charged twice ${f.chargedTwice}, ${(lane.durationMs / 1000).toFixed(1)} s — ` +
      (lane.passed ? 'pass' : 'FAIL')
    );
  });
}
