import type { CostEstimate, Range } from '../../cost/estimate.js';
import type { Paint } from '../io.js';
import { num, renderTable } from './table.js';

/**
 * The estimate as an infracost-style breakdown: one row per priced item with quantity,
 * unit price and cost (low – high), the total, what it costs per hour if left running,
 * and every assumption and warning in words.
 */

const DESTINATION_NAMES: Record<string, string> = { s3: 'S3', 'cloudwatch-logs': 'CloudWatch Logs', firehose: 'Data Firehose' };

/** $ with cents, or two significant digits below a cent (a short capture costs fractions of one). */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (usd < 0.01) return `$${Number(usd.toPrecision(2)).toString()}`;
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function formatQuantity(value: number, unit: string): string {
  if (unit === 'requests') return num(Math.round(value));
  if (value === 0) return '0';
  if (value >= 100) return num(Math.round(value));
  return Number(value.toPrecision(3)).toString();
}

const range = (r: Range, format: (n: number) => string): string => (format(r.low) === format(r.high) ? format(r.high) : `${format(r.low)} – ${format(r.high)}`);

function minutesText(minutes: number): string {
  if (minutes < 60) return `${Number(minutes.toFixed(1))} min`;
  const hours = minutes / 60;
  return hours === 1 ? '1 hour' : `${Number(hours.toFixed(1))} hours`;
}

export function renderEstimateText(estimate: CostEstimate, options: { paint: Paint }): string {
  const { paint } = options;
  const lines: string[] = [];
  const destination = `${DESTINATION_NAMES[estimate.destination] ?? estimate.destination}${estimate.destination === 's3' ? ` (${estimate.fileFormat})` : ''}`;
  lines.push(
    paint.bold(`Cost estimate: ${estimate.target ? `${estimate.target}, ` : ''}${minutesText(estimate.durationMinutes)} to ${destination} in ${estimate.region}, ${estimate.format.name} format`),
    '',
  );
  const rows: string[][] = [
    ['Records', range(estimate.records, num), `${estimate.format.bytesPerRecord} B each (NODATA ${estimate.format.bytesPerNodataRecord} B)`, ''],
    ...estimate.items.map((item) => [item.label, `${range(item.quantity, (n) => formatQuantity(n, item.quantity.unit))} ${item.quantity.unit}`, item.unitPrice, range(item.usd, formatUsd)]),
  ];
  const table = renderTable(
    [{ header: 'Item' }, { header: 'Quantity', align: 'right' }, { header: 'Unit price' }, { header: 'Cost', align: 'right' }],
    [...rows, ['Total', '', '', paint.bold(range(estimate.usd, formatUsd))]],
  );
  lines.push(table, '');
  lines.push(
    `  If left running: ${range(estimate.usdPerHourIfLeftRunning, formatUsd)} per hour, ${range(estimate.usdPerMonthIfLeftRunning, formatUsd)} per month (delivery${estimate.destination === 's3' ? ' and requests' : ''}, tiers applied) — the bill if a teardown failed.`,
    `  Prices: ${estimate.priceSource}.`,
    '',
  );
  if (estimate.warnings.length > 0) {
    lines.push(paint.yellow('  Not measured:'));
    for (const warning of estimate.warnings) lines.push(`    ${paint.yellow('!')} ${warning}`);
    lines.push('');
  }
  lines.push('  Assumptions:');
  for (const assumption of estimate.assumptions) lines.push(`    - ${assumption}`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}
