/**
 * Estimated monthly cost of a stage's plan from a dated on-demand price table (cli/data/aws-prices.json):
 * fixed hourly charges of what the plan registers (instances at desired capacity, RDS, ElastiCache nodes,
 * the load balancer, public IPs, interface endpoints, volumes, alarms). Traffic, requests and stored
 * bytes are usage-based and left out; the output says so, and names anything it could not price: an instance type
 * the table lacks, or a resource type the table neither prices, calls usage-based nor knows to be free.
 */
import { createRequire } from "node:module";

const prices = createRequire(import.meta.url)("../data/aws-prices.json") as PriceTable;

export interface PriceTable {
  region: string;
  currency: string;
  asOf: string;
  source: string;
  hoursPerMonth: number;
  ec2PerHour: Record<string, number>;
  rdsMySqlSingleAzPerHour: Record<string, number>;
  rdsMultiAzFactor: number;
  rdsStoragePerGbMonth: number;
  ebsGp3PerGbMonth: number;
  elasticachePerNodeHour: Record<string, number>;
  albPerHour: number;
  albLcuPerHour: number;
  albAssumedLcus: number;
  publicIpv4PerHour: number;
  interfaceEndpointPerAzHour: number;
  natGatewayPerHour: number;
  cloudwatchAlarmPerMonth: number;
  usageBased: string[];
  /** Types with no charge of their own (configuration, or priced through another resource, as a launch template). */
  noCharge: string[];
}

export interface CostedResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  inputs: Record<string, unknown>;
}

export interface CostLine {
  urn: string;
  type: string;
  name: string;
  monthly: number;
  basis: string;
}

export interface CostEstimate {
  monthly: number;
  lines: CostLine[];
  /**
   * Resources the estimate could not price, as `name (why)`: an instance type the table does not list, or a type it
   * knows nothing about (a KMS key, a secret, a dashboard: they cost money, and the total leaves them out).
   */
  unpriced: string[];
  /** Resource types charged by use only (requests, bytes), not counted. */
  usageBased: string[];
  region: string;
  currency: string;
  asOf: string;
}

export function priceTable(): Readonly<PriceTable> {
  return prices;
}

const num = (v: unknown, fallback = 0) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);

export function estimateMonthlyCost(resources: readonly CostedResource[], table: PriceTable = prices): CostEstimate {
  const h = table.hoursPerMonth;
  const lines: CostLine[] = [];
  const unpriced: string[] = [];
  const usage = new Set<string>();
  const add = (r: CostedResource, monthly: number, basis: string) => lines.push({ urn: r.urn, type: r.type, name: r.name, monthly, basis });
  const hourly = (r: CostedResource, rates: Record<string, number>, key: unknown, count: number, what: string) => {
    const rate = typeof key === "string" ? rates[key] : undefined;
    if (rate === undefined) unpriced.push(`${r.name} (${String(key)})`);
    else add(r, rate * h * count, `${count} x ${String(key)} ${what} at $${rate}/h`);
  };
  // Launch templates carry the instance type; their auto scaling group (same parent) carries the count.
  const templateType = new Map<string | null, unknown>();
  for (const r of resources)
    if (r.type === "aws:ec2/launchTemplate:LaunchTemplate") templateType.set(r.parent, r.inputs.instanceType);

  for (const r of resources) {
    const i = r.inputs;
    switch (r.type) {
      case "aws:ec2/instance:Instance": {
        hourly(r, table.ec2PerHour, i.instanceType, 1, "EC2");
        const root = i.rootBlockDevice as { volumeSize?: number } | undefined;
        if (root?.volumeSize) add(r, root.volumeSize * table.ebsGp3PerGbMonth, `${root.volumeSize} GB gp3 root volume`);
        break;
      }
      case "aws:autoscaling/group:Group":
        hourly(r, table.ec2PerHour, templateType.get(r.parent), num(i.desiredCapacity, num(i.minSize)), "EC2 (desired capacity)");
        break;
      case "aws:ebs/volume:Volume":
        add(r, num(i.size) * table.ebsGp3PerGbMonth, `${num(i.size)} GB gp3`);
        break;
      case "aws:rds/instance:Instance": {
        const factor = i.multiAz === true ? table.rdsMultiAzFactor : 1;
        hourly(r, table.rdsMySqlSingleAzPerHour, i.instanceClass, factor, i.multiAz === true ? "RDS (Multi-AZ)" : "RDS");
        // A replica's storage follows its source; the plan may not say, so count it only when given.
        if (num(i.allocatedStorage) > 0) add(r, num(i.allocatedStorage) * table.rdsStoragePerGbMonth * factor, `${num(i.allocatedStorage)} GB RDS storage`);
        break;
      }
      case "aws:elasticache/replicationGroup:ReplicationGroup":
        hourly(r, table.elasticachePerNodeHour, i.nodeType, num(i.numCacheClusters, 1), "ElastiCache node");
        break;
      case "aws:lb/loadBalancer:LoadBalancer":
        add(r, (table.albPerHour + table.albLcuPerHour * table.albAssumedLcus) * h, `ALB hour + ${table.albAssumedLcus} LCU`);
        break;
      case "aws:ec2/eip:Eip":
        add(r, table.publicIpv4PerHour * h, "public IPv4 address");
        break;
      case "aws:ec2/natGateway:NatGateway":
        add(r, table.natGatewayPerHour * h, "NAT gateway hour (data processed not counted)");
        break;
      case "aws:ec2/vpcEndpoint:VpcEndpoint":
        if (i.vpcEndpointType === "Interface") {
          const azs = Array.isArray(i.subnetIds) ? i.subnetIds.length : 1;
          add(r, table.interfaceEndpointPerAzHour * azs * h, `interface endpoint in ${azs} AZ(s)`);
        }
        break;
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        add(r, table.cloudwatchAlarmPerMonth, "standard alarm");
        break;
      default:
        if (table.usageBased.includes(r.type)) usage.add(r.type);
        else if (!table.noCharge.includes(r.type) && !r.type.startsWith("scale:") && !r.type.startsWith("pulumi:")) {
          unpriced.push(`${r.name} (${r.type}: no price in the table)`);
        }
    }
  }
  const monthly = Math.round(lines.reduce((s, l) => s + l.monthly, 0) * 100) / 100;
  return { monthly, lines, unpriced, usageBased: [...usage], region: table.region, currency: table.currency, asOf: table.asOf };
}

export function formatUsd(n: number): string {
  return `$${n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export interface PlanForCost {
  stage: number;
  name: string;
  resources: readonly CostedResource[];
}

/** The human form's cost section: each stage's estimate and, for a move, the difference. */
export function formatPlanCost(to: PlanForCost, from?: PlanForCost): string[] {
  const t = estimateMonthlyCost(to.resources);
  const lines = ["", `Estimated monthly cost (on-demand, ${t.region}, prices recorded ${t.asOf}; fixed charges only):`];
  const stageLine = (p: PlanForCost, e: CostEstimate) =>
    `  stage ${p.stage} (${p.name}): ${formatUsd(e.monthly)}/month${e.unpriced.length ? ` + unpriced: ${e.unpriced.join(", ")}` : ""}`;
  if (from) {
    const f = estimateMonthlyCost(from.resources);
    lines.push(stageLine(from, f), stageLine(to, t));
    const delta = Math.round((t.monthly - f.monthly) * 100) / 100;
    lines.push(`  change: ${delta >= 0 ? "+" : "-"}${formatUsd(Math.abs(delta))}/month`);
  } else {
    lines.push(stageLine(to, t));
    const byType = new Map<string, number>();
    for (const l of t.lines) byType.set(l.type, (byType.get(l.type) ?? 0) + l.monthly);
    for (const [type, monthly] of [...byType].sort((a, b) => b[1] - a[1])) lines.push(`    ${formatUsd(monthly).padStart(10)}  ${type}`);
  }
  if (t.usageBased.length) lines.push(`  not counted (charged by use): ${t.usageBased.join(", ")}`);
  return lines;
}
