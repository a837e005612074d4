import type { Ec2Port, EniInfo } from '../aws/ec2.js';
import type { InterfaceOwner, RateScope } from '../cost/record-rate.js';
import type { ResolvedTarget } from './targets.js';

/**
 * What the cost estimate needs to know about a resolved target: its interfaces, what owns
 * each (metrics exist per instance, NAT gateway or load balancer, not per interface) and the
 * state of the instances (a stopped instance writes nothing).
 */
export async function rateScopeOf(target: ResolvedTarget, ec2: Pick<Ec2Port, 'describeInstances'>): Promise<RateScope> {
  const interfaces = target.enis.map((eni) => ({ id: eni.id, owner: ownerOf(eni) }));
  const instanceIds = [...new Set(interfaces.flatMap((eni) => (eni.owner.kind === 'instance' ? [eni.owner.instanceId] : [])))];
  const instanceStates: Record<string, string> = {};
  if (instanceIds.length > 0) {
    for (const instance of await ec2.describeInstances({ ids: instanceIds })) if (instance.state) instanceStates[instance.id] = instance.state;
  }
  return { description: target.label, interfaces, instanceStates };
}

/**
 * The owner of an interface, from DescribeNetworkInterfaces: the attached instance, or, for
 * requester-managed interfaces, the service named in its type and description
 * ("Interface for NAT Gateway nat-…", "ELB net/<name>/<id>" for a Network Load Balancer):
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NetworkInterface.html
 */
export function ownerOf(eni: EniInfo): InterfaceOwner {
  if (eni.instanceId) return { kind: 'instance', instanceId: eni.instanceId };
  const description = eni.description ?? '';
  const nat = /\b(nat-[0-9a-f]{8,17})\b/.exec(description);
  if (nat && (eni.interfaceType === 'nat_gateway' || /NAT Gateway/i.test(description))) return { kind: 'nat-gateway', natGatewayId: nat[1] };
  // the LoadBalancer dimension of AWS/NetworkELB is "net/<name>/<id>"
  const nlb = /^ELB (net\/[^/\s]+\/[0-9a-f]+)$/.exec(description);
  if (nlb) return { kind: 'load-balancer', loadBalancer: nlb[1] };
  return { kind: 'other', description: eni.description ?? eni.interfaceType };
}
