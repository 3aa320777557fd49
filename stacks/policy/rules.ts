/**
 * The security invariants of every stage, as @pulumi/policy stack policies. `index.ts` packs them for
 * `pulumi preview --policy-pack stacks/policy`; tests call `validateStack` in-process on each stage's plan.
 * Type-only import: constructing a PolicyPack starts a gRPC server, which a test runner must not do.
 */
import type { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { stackOfUrn, stackPrefix } from "../names.ts";

type Props = Record<string, unknown>;
type Rule = (resources: PolicyResource[], report: ReportViolation) => void;

/** TLS policies allowed on HTTPS listeners and CloudFront viewers. */
export const ALLOWED_TLS_POLICIES = ["ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"];
/** Managed policies an instance role may carry. */
export const ALLOWED_MANAGED_POLICIES = ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"];

const ANYWHERE = ["0.0.0.0/0", "::/0"];
const ofType = (resources: PolicyResource[], type: string) => resources.filter((r) => r.type === type);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
const rules = (v: unknown): Props[] => list(v) as Props[];
const siblings = (resources: PolicyResource[], r: PolicyResource, type: string) =>
  resources.filter((s) => s.type === type && s.parent?.urn !== undefined && s.parent.urn === r.parent?.urn);
const covers = (rule: Props, port: number) => Number(rule.fromPort) <= port && port <= Number(rule.toPort) || rule.protocol === "-1";
const fromAnywhere = (rule: Props) => list(rule.cidrBlocks).concat(list(rule.ipv6CidrBlocks)).some((c) => ANYWHERE.includes(String(c)));

const sshOnlyFromAllowlist: Rule = (resources, report) => {
  for (const sg of ofType(resources, "aws:ec2/securityGroup:SecurityGroup")) {
    for (const rule of rules(sg.props.ingress)) {
      if (covers(rule, 22) && fromAnywhere(rule)) report(`${sg.name} opens port 22 to the internet`, sg.urn);
    }
  }
  for (const r of ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
    if (ANYWHERE.includes(String(r.props.cidrIpv4)) && covers(r.props, 22)) report(`${r.name} opens port 22 to the internet`, r.urn);
  }
};

const onlyWebPortsPublic: Rule = (resources, report) => {
  for (const sg of ofType(resources, "aws:ec2/securityGroup:SecurityGroup")) {
    for (const rule of rules(sg.props.ingress)) {
      const web = (rule.fromPort === 80 && rule.toPort === 80) || (rule.fromPort === 443 && rule.toPort === 443);
      if (fromAnywhere(rule) && !web) report(`${sg.name} opens ports ${rule.fromPort}-${rule.toPort} to the internet; only 80 and 443 may be`, sg.urn);
    }
  }
};

const noOutboundInternet: Rule = (resources, report) => {
  for (const sg of ofType(resources, "aws:ec2/securityGroup:SecurityGroup")) {
    if (sg.props.egress === undefined) report(`${sg.name} leaves egress unset (AWS then allows everything out); list it`, sg.urn);
    for (const rule of rules(sg.props.egress)) {
      if (fromAnywhere(rule)) report(`${sg.name} allows outbound connections to the internet`, sg.urn);
    }
  }
};

const dataTierPrivate: Rule = (resources, report) => {
  for (const db of ofType(resources, "aws:rds/instance:Instance")) {
    if (db.props.publiclyAccessible !== false) report(`${db.name} must set publiclyAccessible: false`, db.urn);
  }
  for (const type of ["aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup"]) {
    for (const store of ofType(resources, type)) {
      for (const sg of siblings(resources, store, "aws:ec2/securityGroup:SecurityGroup")) {
        if (rules(sg.props.ingress).some((rule) => list(rule.cidrBlocks).length > 0)) report(`${sg.name} admits CIDRs; the data tier admits only the app tiers' security groups`, sg.urn);
      }
      for (const rule of siblings(resources, store, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")) {
        if (rule.props.referencedSecurityGroupId === undefined) report(`${rule.name} must reference an app tier's security group`, rule.urn);
      }
    }
  }
};

const encryptedAtRestAndInTransit: Rule = (resources, report) => {
  const need = (r: PolicyResource, ok: boolean, what: string) => { if (!ok) report(`${r.name}: ${what}`, r.urn); };
  for (const r of ofType(resources, "aws:rds/instance:Instance")) need(r, r.props.storageEncrypted === true, "storageEncrypted must be true");
  for (const r of ofType(resources, "aws:rds/parameterGroup:ParameterGroup")) {
    need(r, rules(r.props.parameters).some((p) => p.name === "require_secure_transport" && String(p.value).toUpperCase() === "ON"), "require_secure_transport must be ON");
  }
  for (const r of ofType(resources, "aws:ebs/volume:Volume")) need(r, r.props.encrypted === true, "encrypted must be true");
  for (const r of ofType(resources, "aws:ec2/instance:Instance")) need(r, (r.props.rootBlockDevice as Props | undefined)?.encrypted === true, "the root volume must be encrypted");
  for (const r of ofType(resources, "aws:ec2/launchTemplate:LaunchTemplate")) {
    need(r, rules(r.props.blockDeviceMappings).every((m) => String((m.ebs as Props | undefined)?.encrypted) === "true"), "every EBS mapping must be encrypted");
  }
  for (const r of ofType(resources, "aws:elasticache/replicationGroup:ReplicationGroup")) {
    need(r, r.props.atRestEncryptionEnabled === true && r.props.transitEncryptionEnabled === true, "needs encryption at rest and in transit");
  }
  for (const r of ofType(resources, "aws:sqs/queue:Queue")) need(r, r.props.sqsManagedSseEnabled === true || r.props.kmsMasterKeyId !== undefined, "must be encrypted");
  for (const r of ofType(resources, "aws:sns/topic:Topic")) need(r, r.props.kmsMasterKeyId !== undefined, "must be encrypted");
  for (const b of ofType(resources, "aws:s3/bucket:Bucket")) {
    need(b, siblings(resources, b, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").length > 0, "needs a server-side encryption configuration");
  }
};

const bucketsPrivateAndTlsOnly: Rule = (resources, report) => {
  for (const b of ofType(resources, "aws:s3/bucket:Bucket")) {
    const block = siblings(resources, b, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0];
    const blocked = block && ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((k) => block.props[k] === true);
    if (!blocked) report(`${b.name} must block all four kinds of public access`, b.urn);
    const policy = siblings(resources, b, "aws:s3/bucketPolicy:BucketPolicy")[0];
    if (!policy || !String(policy.props.policy).includes('"aws:SecureTransport":"false"')) report(`${b.name} needs a policy denying requests without TLS`, b.urn);
  }
};

const imdsV2Required: Rule = (resources, report) => {
  for (const type of ["aws:ec2/instance:Instance", "aws:ec2/launchTemplate:LaunchTemplate"]) {
    for (const r of ofType(resources, type)) {
      if ((r.props.metadataOptions as Props | undefined)?.httpTokens !== "required") report(`${r.name} must require IMDSv2 (metadataOptions.httpTokens: required)`, r.urn);
    }
  }
};

const appServersHaveNoPublicIp: Rule = (resources, report) => {
  for (const r of ofType(resources, "aws:ec2/launchTemplate:LaunchTemplate")) {
    if (rules(r.props.networkInterfaces).some((n) => String(n.associatePublicIpAddress) === "true")) report(`${r.name} gives app servers public IPs`, r.urn);
  }
  const publicSubnets = new Set(ofType(resources, "aws:ec2/subnet:Subnet").filter((s) => (s.props.tags as Props | undefined)?.["scale:tier"] === "public").map((s) => String(s.props.id)));
  for (const r of ofType(resources, "aws:ec2/subnet:Subnet")) {
    if (r.props.mapPublicIpOnLaunch === true) report(`${r.name} hands out public IPs on launch`, r.urn);
  }
  for (const g of ofType(resources, "aws:autoscaling/group:Group")) {
    if (list(g.props.vpcZoneIdentifiers).some((id) => publicSubnets.has(String(id)))) report(`${g.name} places app servers in a public subnet`, g.urn);
  }
};

const httpsOnly: Rule = (resources, report) => {
  for (const l of ofType(resources, "aws:lb/listener:Listener")) {
    if (l.props.protocol === "HTTP" && !rules(l.props.defaultActions).every((a) => a.type === "redirect" && (a.redirect as Props | undefined)?.protocol === "HTTPS")) {
      report(`${l.name} serves plain HTTP; it must redirect to HTTPS`, l.urn);
    }
    if (l.props.protocol === "HTTPS" && !ALLOWED_TLS_POLICIES.includes(String(l.props.sslPolicy))) report(`${l.name} uses TLS policy ${l.props.sslPolicy}; allowed: ${ALLOWED_TLS_POLICIES.join(", ")}`, l.urn);
  }
  for (const d of ofType(resources, "aws:cloudfront/distribution:Distribution")) {
    const behaviors = [d.props.defaultCacheBehavior as Props, ...rules(d.props.orderedCacheBehaviors)];
    if (behaviors.some((b) => !["redirect-to-https", "https-only"].includes(String(b?.viewerProtocolPolicy)))) report(`${d.name} must redirect viewers to HTTPS`, d.urn);
    if (!String((d.props.viewerCertificate as Props | undefined)?.minimumProtocolVersion).startsWith("TLSv1.2")) report(`${d.name} must require TLS 1.2 or newer`, d.urn);
  }
};

const databasesKeepTheirData: Rule = (resources, report) => {
  for (const db of ofType(resources, "aws:rds/instance:Instance").filter((r) => r.props.replicateSourceDb === undefined)) {
    if (db.props.deletionProtection !== true) report(`${db.name} needs deletionProtection`, db.urn);
    if (Number(db.props.backupRetentionPeriod ?? 0) < 7) report(`${db.name} needs automated backups for at least 7 days`, db.urn);
    if (db.props.skipFinalSnapshot !== false) report(`${db.name} must take a final snapshot on delete`, db.urn);
  }
};

const leastPrivilegeRoles: Rule = (resources, report) => {
  for (const p of ofType(resources, "aws:iam/rolePolicy:RolePolicy")) {
    const doc = JSON.parse(String(p.props.policy)) as { Statement: Props[] };
    for (const s of doc.Statement) {
      if (list(s.Action).some((a) => String(a) === "*" || String(a).endsWith(":*"))) report(`${p.name} grants a wildcard action`, p.urn);
      if (list(s.Resource).some((r) => String(r) === "*")) report(`${p.name} grants on every resource ("*")`, p.urn);
    }
  }
  for (const a of ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
    if (!ALLOWED_MANAGED_POLICIES.includes(String(a.props.policyArn))) report(`${a.name} attaches ${a.props.policyArn}; allowed: ${ALLOWED_MANAGED_POLICIES.join(", ")}`, a.urn);
  }
};

/** Inputs that hold an account-wide physical name, by resource type. */
export const PHYSICAL_NAMES: Readonly<Record<string, readonly string[]>> = {
  "aws:rds/instance:Instance": ["identifier", "finalSnapshotIdentifier"],
  "aws:elasticache/replicationGroup:ReplicationGroup": ["replicationGroupId"],
  "aws:cloudwatch/dashboard:Dashboard": ["dashboardName"],
  "aws:redshiftserverless/namespace:Namespace": ["namespaceName"],
  "aws:redshiftserverless/workgroup:Workgroup": ["workgroupName"],
};

const physicalNamesPerStack: Rule = (resources, report) => {
  for (const r of resources) {
    for (const field of PHYSICAL_NAMES[r.type] ?? []) {
      const name = r.props[field];
      if (name === undefined) continue;
      const prefix = `${stackPrefix(stackOfUrn(r.urn))}-`;
      if (!String(name).startsWith(prefix)) report(`${r.name} ${field} ${JSON.stringify(name)} must start with the stack's prefix ${JSON.stringify(prefix)}: another stack in the account would collide`, r.urn);
    }
  }
};

const loadBalancersProtectedAndLogged: Rule = (resources, report) => {
  for (const lb of ofType(resources, "aws:lb/loadBalancer:LoadBalancer")) {
    if (lb.props.enableDeletionProtection !== true) report(`${lb.name} needs enableDeletionProtection`, lb.urn);
    const logs = lb.props.accessLogs as Props | undefined;
    if (logs?.enabled !== true || !logs.bucket) report(`${lb.name} needs access logs to a bucket (accessLogs.enabled and accessLogs.bucket)`, lb.urn);
  }
};

// A CloudWatch alarm or scaling policy on a metric nobody publishes sits in INSUFFICIENT_DATA forever.
const metricsThatExist: Rule = (resources, report) => {
  for (const policy of ofType(resources, "aws:autoscaling/policy:Policy")) {
    const spec = (policy.props.targetTrackingConfiguration as Props | undefined)?.customizedMetricSpecification as Props | undefined;
    const used = rules(spec?.metrics).map((m) => ((m.metricStat as Props | undefined)?.metric as Props | undefined) ?? {})
      .filter((m) => m.namespace === "AWS/AutoScaling").map((m) => String(m.metricName));
    if (used.length === 0) continue;
    const enabled = siblings(resources, policy, "aws:autoscaling/group:Group").flatMap((g) => list(g.props.enabledMetrics).map(String));
    for (const metric of used) if (!enabled.includes(metric)) report(`${policy.name} scales on ${metric}, which its group does not publish (enabledMetrics)`, policy.urn);
  }
  for (const alarm of ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")) {
    const metrics = [alarm.props as Props, ...rules(alarm.props.metricQueries).map((q) => (q.metric as Props | undefined) ?? {})];
    for (const m of metrics.filter((x) => x.namespace === "AWS/ElastiCache")) {
      if (!Object.keys((m.dimensions as Props | undefined) ?? {}).includes("CacheClusterId")) report(`${alarm.name} watches ${m.metricName} without a CacheClusterId dimension: ElastiCache publishes it per node`, alarm.urn);
    }
  }
};

// What AWS accepts at plan time but refuses (or ignores) when it applies: caught here, before an update half-runs.
const changesAwsApplies: Rule = (resources, report) => {
  for (const g of ofType(resources, "aws:autoscaling/group:Group")) {
    const version = String((g.props.launchTemplate as Props | undefined)?.version ?? "");
    if (g.props.instanceRefresh !== undefined && (version === "" || version.startsWith("$"))) {
      report(`${g.name} refreshes instances but launches ${version || "no version"}: name the template's version (latestVersion) so a new one starts a refresh`, g.urn);
    }
  }
  for (const db of ofType(resources, "aws:rds/instance:Instance").filter((r) => r.props.replicateSourceDb === undefined)) {
    if (db.props.applyImmediately !== true) report(`${db.name} defers changes to the maintenance window: a stage move's Multi-AZ change would not be there when the move checks it (applyImmediately)`, db.urn);
  }
  for (const l of ofType(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")) {
    for (const t of rules(l.props.rules).flatMap((rule) => rules(rule.transitions))) {
      if (["STANDARD_IA", "ONEZONE_IA"].includes(String(t.storageClass)) && Number(t.days) < 30) report(`${l.name} moves objects to ${t.storageClass} after ${t.days} days; S3 needs 30 or more`, l.urn);
    }
  }
  for (const w of ofType(resources, "aws:redshiftserverless/workgroup:Workgroup")) {
    if (list(w.props.subnetIds).length < 3) report(`${w.name} has subnets in ${list(w.props.subnetIds).length} AZs; Redshift Serverless needs three`, w.urn);
  }
};

const stackPolicy = (name: string, description: string, rule: Rule): StackValidationPolicy => ({
  name, description, enforcementLevel: "mandatory",
  validateStack: (args, report) => rule(args.resources, report),
});

/** Every policy of the pack. */
export const POLICIES: readonly StackValidationPolicy[] = [
  stackPolicy("ssh-only-from-allowlist", "Port 22 is never open to 0.0.0.0/0.", sshOnlyFromAllowlist),
  stackPolicy("only-web-ports-public", "Only 80 and 443 are open to the internet.", onlyWebPortsPublic),
  stackPolicy("no-outbound-internet", "No security group lets servers open connections to the internet.", noOutboundInternet),
  stackPolicy("data-tier-private", "Databases and caches are not public and admit only the app tiers.", dataTierPrivate),
  stackPolicy("encrypted-at-rest-and-in-transit", "Volumes, databases, caches, buckets, queues and topics are encrypted.", encryptedAtRestAndInTransit),
  stackPolicy("buckets-private-and-tls-only", "Buckets block public access and refuse requests without TLS.", bucketsPrivateAndTlsOnly),
  stackPolicy("imdsv2-required", "Instances and launch templates require IMDSv2.", imdsV2Required),
  stackPolicy("app-servers-no-public-ip", "App servers get no public IPs and live in private subnets.", appServersHaveNoPublicIp),
  stackPolicy("https-only", "HTTP redirects to HTTPS; listeners and CloudFront use modern TLS.", httpsOnly),
  stackPolicy("databases-keep-their-data", "RDS primaries have deletion protection, 7-day backups and a final snapshot.", databasesKeepTheirData),
  stackPolicy("least-privilege-roles", "Instance roles grant no wildcard actions or resources.", leastPrivilegeRoles),
  stackPolicy("physical-names-per-stack", "Account-wide names start with the stack's prefix, so two stacks never collide.", physicalNamesPerStack),
  stackPolicy("load-balancers-protected-and-logged", "Load balancers have deletion protection and access logs.", loadBalancersProtectedAndLogged),
  stackPolicy("metrics-that-exist", "Scaling policies and alarms watch metrics AWS actually publishes.", metricsThatExist),
  stackPolicy("changes-aws-applies", "Instance refresh, RDS changes, lifecycle rules and the warehouse are set up the way AWS applies them.", changesAwsApplies),
];
