import { isIP } from 'node:net';
import type { Ec2Port, EniInfo, FlowLogResourceType, InstanceInfo } from '../aws/ec2.js';
import { UsageError } from '../errors.js';

export type TargetKind = 'instance' | 'eni' | 'subnet' | 'vpc' | 'ip' | 'name';

export const TARGET_KINDS: readonly TargetKind[] = ['instance', 'eni', 'subnet', 'vpc', 'ip', 'name'];

export interface TargetRequest {
  kind: TargetKind;
  value: string;
}

/** What a capture watches, resolved against EC2. */
export interface ResolvedTarget {
  kind: TargetKind;
  value: string;
  /** the flow log's resource type: instances, IPs and names become their interfaces */
  resourceType: FlowLogResourceType;
  resourceIds: string[];
  /** the interfaces covered (for the estimate and the message) */
  enis: EniInfo[];
  /** `instance i-0abc (web-1)` */
  label: string;
  /** said to the user when the target expands, e.g. an instance with two interfaces */
  note?: string;
  vpcId?: string;
}

export interface ResolveOptions {
  /** `in eu-west-1 (profile "dev")`, for messages */
  where: string;
}

const MAX_CANDIDATES = 8;

function named(id: string, name?: string): string {
  return name ? `${id} (${name})` : id;
}

function candidates(list: string[]): string {
  const shown = list.slice(0, MAX_CANDIDATES).join(', ');
  return list.length > MAX_CANDIDATES ? `${shown}, … ${list.length - MAX_CANDIDATES} more` : shown;
}

function live(instance: InstanceInfo): boolean {
  return instance.state !== 'terminated' && instance.state !== 'shutting-down';
}

function describeEni(eni: EniInfo): string {
  const primary = eni.deviceIndex === 0 ? 'primary, ' : '';
  return `${eni.id} (${primary}${eni.privateIps[0] ?? 'no address'})`;
}

/** Resolves `--instance/--eni/--subnet/--vpc/--ip/--name` to flow-log resources; not found or ambiguous → one sentence with candidates. */
export async function resolveTarget(request: TargetRequest, ec2: Ec2Port, options: ResolveOptions): Promise<ResolvedTarget> {
  const value = request.value.trim();
  switch (request.kind) {
    case 'instance': {
      if (!/^i-[0-9a-f]{8,17}$/.test(value)) throw new UsageError(`--instance "${value}" is not an instance id (i-…); to pick by Name tag use --name`, { code: 'bad-target' });
      const [instance] = await ec2.describeInstances({ ids: [value] });
      if (!instance || !live(instance)) {
        const others = (await ec2.describeInstances({})).filter(live).map((i) => named(i.id, i.name));
        throw new UsageError(`no instance "${value}" ${options.where}${others.length ? `; instances there: ${candidates(others)}` : '; there are no running instances there'}`, { code: 'target-not-found' });
      }
      return instanceTarget(request, instance, ec2);
    }
    case 'name': {
      const matches = (await ec2.describeInstances({ nameTag: [value] })).filter(live);
      if (matches.length === 1) return instanceTarget(request, matches[0], ec2);
      if (matches.length > 1) {
        throw new UsageError(`${matches.length} instances are named "${value}" ${options.where}: ${candidates(matches.map((i) => `${i.id} (${i.state ?? '?'})`))}; pick one with --instance`, {
          code: 'target-ambiguous',
        });
      }
      const all = (await ec2.describeInstances({})).filter(live);
      const near = all.filter((i) => i.name && i.name.toLowerCase().includes(value.toLowerCase())).map((i) => named(i.id, i.name));
      const hint = near.length ? `; similar names: ${candidates(near)}` : all.length ? `; named instances there: ${candidates(all.filter((i) => i.name).map((i) => named(i.id, i.name)))}` : '';
      throw new UsageError(`no instance with Name tag "${value}" ${options.where}${hint}`, { code: 'target-not-found' });
    }
    case 'eni': {
      if (!/^eni-[0-9a-f]{8,17}$/.test(value)) throw new UsageError(`--eni "${value}" is not a network interface id (eni-…)`, { code: 'bad-target' });
      const [eni] = await ec2.describeNetworkInterfaces({ ids: [value] });
      if (!eni) throw new UsageError(`no network interface "${value}" ${options.where}; check the id and --region`, { code: 'target-not-found' });
      return {
        kind: request.kind,
        value,
        resourceType: 'NetworkInterface',
        resourceIds: [eni.id],
        enis: [eni],
        label: `interface ${named(eni.id, eni.name ?? eni.description)}`,
        vpcId: eni.vpcId,
      };
    }
    case 'ip': {
      if (!isIP(value)) throw new UsageError(`--ip "${value}" is not an IP address`, { code: 'bad-target' });
      const enis = await ec2.describeNetworkInterfaces({ privateIps: [value] });
      if (enis.length === 0) throw new UsageError(`no network interface has the private IP ${value} ${options.where}; check the address and --region`, { code: 'target-not-found' });
      if (enis.length > 1) {
        throw new UsageError(`${enis.length} network interfaces have the private IP ${value} ${options.where} (in different VPCs): ${candidates(enis.map((e) => `${e.id} (${e.vpcId ?? '?'})`))}; pick one with --eni`, {
          code: 'target-ambiguous',
        });
      }
      const eni = enis[0];
      return { kind: request.kind, value, resourceType: 'NetworkInterface', resourceIds: [eni.id], enis, label: `interface ${eni.id} (${value})`, vpcId: eni.vpcId };
    }
    case 'subnet': {
      if (!/^subnet-[0-9a-f]{8,17}$/.test(value)) throw new UsageError(`--subnet "${value}" is not a subnet id (subnet-…)`, { code: 'bad-target' });
      const [subnet] = await ec2.describeSubnets({ ids: [value] });
      if (!subnet) {
        const others = (await ec2.describeSubnets({})).map((s) => named(s.id, s.name));
        throw new UsageError(`no subnet "${value}" ${options.where}${others.length ? `; subnets there: ${candidates(others)}` : ''}`, { code: 'target-not-found' });
      }
      const enis = await ec2.describeNetworkInterfaces({ subnetIds: [subnet.id] });
      return {
        kind: request.kind,
        value,
        resourceType: 'Subnet',
        resourceIds: [subnet.id],
        enis,
        label: `subnet ${named(subnet.id, subnet.name)}`,
        note: `subnet ${subnet.id} has ${enis.length} network interface${enis.length === 1 ? '' : 's'} now; the flow log also covers interfaces created during the capture`,
        vpcId: subnet.vpcId,
      };
    }
    case 'vpc': {
      if (!/^vpc-[0-9a-f]{8,17}$/.test(value)) throw new UsageError(`--vpc "${value}" is not a VPC id (vpc-…)`, { code: 'bad-target' });
      const [vpc] = await ec2.describeVpcs({ ids: [value] });
      if (!vpc) {
        const others = (await ec2.describeVpcs({})).map((v) => named(v.id, v.name));
        throw new UsageError(`no VPC "${value}" ${options.where}${others.length ? `; VPCs there: ${candidates(others)}` : ''}`, { code: 'target-not-found' });
      }
      const enis = await ec2.describeNetworkInterfaces({ vpcIds: [vpc.id] });
      return {
        kind: request.kind,
        value,
        resourceType: 'VPC',
        resourceIds: [vpc.id],
        enis,
        label: `VPC ${named(vpc.id, vpc.name)}`,
        note: `VPC ${vpc.id} has ${enis.length} network interface${enis.length === 1 ? '' : 's'} now; a VPC-wide capture can be large — check the estimate`,
        vpcId: vpc.id,
      };
    }
  }
}

async function instanceTarget(request: TargetRequest, instance: InstanceInfo, ec2: Ec2Port): Promise<ResolvedTarget> {
  const enis = (await ec2.describeNetworkInterfaces({ instanceIds: [instance.id] })).sort((a, b) => (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0));
  if (enis.length === 0) throw new UsageError(`instance ${named(instance.id, instance.name)} has no network interface attached (state ${instance.state ?? '?'}); nothing to capture`, { code: 'target-no-eni' });
  const label = `instance ${named(instance.id, instance.name)}`;
  return {
    kind: request.kind,
    value: request.value,
    resourceType: 'NetworkInterface',
    resourceIds: enis.map((eni) => eni.id),
    enis,
    label,
    note: `${label} has ${enis.length} network interface${enis.length === 1 ? '' : 's'}: ${enis.map(describeEni).join(', ')}; capturing ${enis.length === 1 ? 'it' : `all ${enis.length}`}`,
    vpcId: instance.vpcId,
  };
}
