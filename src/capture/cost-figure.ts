/**
 * The cost figures a capture shows: an estimate before it starts and "cost so far" while it
 * runs. This is deliberately simple (bytes × one price per GB); the real model (CloudWatch
 * metrics, tiers, regional prices from templates/) lives in src/cost/ and plugs in through
 * `CostModel` — swap `simpleCostModel` for it in the CLI's deps.
 */
export interface CostFigure {
  /** USD */
  low: number;
  high: number;
  assumptions: string[];
}

export interface CostEstimateInput {
  /** network interfaces the flow log covers */
  enis: number;
  minutes: number;
  bytesPerRecord: number;
  destination: 's3' | 'logs';
  fileFormat: 'text' | 'parquet';
  region: string;
}

export interface CostActualInput {
  /** bytes delivered so far (object sizes, or the log group's stored bytes) */
  bytes: number;
  destination: 's3' | 'logs';
  fileFormat: 'text' | 'parquet';
}

export interface CostModel {
  estimate(input: CostEstimateInput): CostFigure;
  /** USD so far */
  actual(input: CostActualInput): number;
}

const GB = 1024 ** 3;
/** us-east-1 vended-log delivery prices, first tier (AWS-FACTS §2.1): S3 $0.25/GB, CloudWatch Logs $0.50/GB, Parquet conversion +$0.035/GB. */
const PRICE_PER_GB = { s3: 0.25, logs: 0.5 } as const;
const PARQUET_PER_GB = 0.035;
/** directional flows per interface per one-minute window: a quiet host to a busy one */
const RECORDS_PER_ENI_MINUTE = { low: 20, high: 2000 } as const;

function pricePerGb(destination: 's3' | 'logs', fileFormat: 'text' | 'parquet'): number {
  return PRICE_PER_GB[destination] + (destination === 's3' && fileFormat === 'parquet' ? PARQUET_PER_GB : 0);
}

export const simpleCostModel: CostModel = {
  estimate(input) {
    const price = pricePerGb(input.destination, input.fileFormat);
    const bytes = (records: number) => records * input.enis * input.minutes * input.bytesPerRecord;
    return {
      low: (bytes(RECORDS_PER_ENI_MINUTE.low) / GB) * price,
      high: (bytes(RECORDS_PER_ENI_MINUTE.high) / GB) * price,
      assumptions: [
        `${RECORDS_PER_ENI_MINUTE.low}–${RECORDS_PER_ENI_MINUTE.high} records per interface per minute (a quiet to a busy host)`,
        `${input.bytesPerRecord} bytes per record (the format's typical line)`,
        `$${price.toFixed(3)}/GB delivered to ${input.destination === 's3' ? 'S3' : 'CloudWatch Logs'} (us-east-1 list price; other regions differ)`,
      ],
    };
  },
  actual(input) {
    return (input.bytes / GB) * pricePerGb(input.destination, input.fileFormat);
  },
};

/** "$0.0042" / "<$0.0001" — small amounts stay readable. */
export function formatUsd(value: number): string {
  if (value === 0) return '$0';
  if (value < 0.0001) return '<$0.0001';
  if (value < 1) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}
