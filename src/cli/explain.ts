import type { AwsContext } from '../aws/clients.js';
import type { Summary } from '../analyze/summary.js';
import { addressesToExplain, explainSummary, unexplained } from '../explain/explain.js';
import { readNetworkConfig } from '../explain/gather.js';
import type { Explanation } from '../explain/model.js';

export interface ExplainRunOptions {
  /** failing peers explained (the summary's order: worst first) */
  top?: number;
  now?: () => Date;
}

/**
 * `--explain`: reads the security groups and network ACLs in force for the summary's failing
 * peers (read-only EC2 calls) and says what blocks each. Never throws: whatever cannot be read
 * makes the verdict `unknown` with the reason, and the analysis stands.
 */
export async function explainWithAws(aws: AwsContext, summary: Summary, options: ExplainRunOptions = {}): Promise<Explanation[]> {
  const now = options.now ?? (() => new Date());
  const top = options.top ?? 10;
  const addresses = addressesToExplain(summary, top);
  if (addresses.length === 0) return [];
  try {
    // loaded here: only --explain needs it
    const [{ EC2Client }, { createNetworkConfigPort }] = await Promise.all([import('@aws-sdk/client-ec2'), import('../aws/network-config.js')]);
    const port = createNetworkConfigPort(new EC2Client(aws.config as never), aws.scope);
    const config = await readNetworkConfig(port, { addresses, interfaceIds: summary.interfaces.ids, now, region: aws.region });
    return explainSummary(summary, config, { top, region: aws.region });
  } catch (error) {
    return unexplained(summary, `the network configuration could not be read: ${(error as Error)?.message ?? String(error)}`, now().toISOString().replace(/\.\d{3}Z$/, 'Z'), top);
  }
}
