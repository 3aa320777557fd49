import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { alarmDescription, alarmTags, type AlarmId } from "../alarms.ts";

/** Arguments of the Monitoring component. */
export interface MonitoringArgs {
  /** The dashboard's name, derived from the stack (dashboards are account-wide). */
  dashboardName: string;
  /** Where every alarm notifies. */
  topicArn: pulumi.Input<string>;
  alb: { arnSuffix: pulumi.Input<string>; targetGroupArnSuffixes: pulumi.Input<string>[] };
  database: { primaryId: pulumi.Input<string>; replicaIds: pulumi.Input<string>[] };
  /** The cache's nodes (member cluster ids): ElastiCache publishes engine metrics per node, not per group. */
  cache: { nodeIds: string[] };
  /** The job queue and its dead-letter queue. @default undefined (no queue alarms) */
  queue?: { name: pulumi.Input<string>; deadLetterName: pulumi.Input<string> };
}

type AlarmSpec = Omit<aws.cloudwatch.MetricAlarmArgs, "tags" | "alarmActions" | "okActions">;

/** Throws an error naming the bad field. */
export function validateMonitoringArgs(args: MonitoringArgs): void {
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(args.dashboardName)) throw new Error(`Monitoring dashboardName must be 1-255 letters, digits, - or _, got ${JSON.stringify(args.dashboardName)}`);
  if (args.cache.nodeIds.length === 0) throw new Error("Monitoring cache.nodeIds must name the cache's nodes: its alarms are per node");
}

/** CloudWatch alarms on the ALB, RDS, the cache (and the queue), to the alert topic, and one dashboard. */
export class Monitoring extends pulumi.ComponentResource {
  readonly dashboardName: pulumi.Output<string>;
  /** The alarms' names by id and suffix (`alb-unhealthy-hosts-1`): a deploy's instance refresh rolls back on them. */
  readonly alarmNames: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scale:aws:Monitoring", name, {}, opts);
    validateMonitoringArgs(args);
    const alarm = (id: AlarmId, suffix: string, spec: AlarmSpec) => {
      const made = new aws.cloudwatch.MetricAlarm(`${name}-${id}${suffix}`, {
        ...spec, tags: alarmTags(id), alarmActions: [args.topicArn], okActions: [args.topicArn], treatMissingData: spec.treatMissingData ?? "notBreaching",
      }, { parent: this });
      this.alarmNames[`${id}${suffix}`] = made.name;
      return made;
    };
    const lb = { LoadBalancer: args.alb.arnSuffix };

    alarm("alb-5xx-rate", "", {
      comparisonOperator: "GreaterThanThreshold", threshold: 1, evaluationPeriods: 5, alarmDescription: "ALB 5xx above 1% of requests",
      metricQueries: [
        { id: "errors", metric: { namespace: "AWS/ApplicationELB", metricName: "HTTPCode_Target_5XX_Count", dimensions: lb, period: 60, stat: "Sum" } },
        { id: "requests", metric: { namespace: "AWS/ApplicationELB", metricName: "RequestCount", dimensions: lb, period: 60, stat: "Sum" } },
        { id: "rate", expression: "100 * errors / IF(requests > 0, requests, 1)", label: "5xx percent", returnData: true },
      ],
    });
    alarm("alb-p99-latency", "", {
      namespace: "AWS/ApplicationELB", metricName: "TargetResponseTime", dimensions: lb, extendedStatistic: "p99",
      period: 60, evaluationPeriods: 5, threshold: 1, comparisonOperator: "GreaterThanThreshold", alarmDescription: "p99 above 1 s",
    });
    args.alb.targetGroupArnSuffixes.forEach((tg, i) => alarm("alb-unhealthy-hosts", `-${i + 1}`, {
      namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", dimensions: { ...lb, TargetGroup: tg },
      statistic: "Maximum", period: 60, evaluationPeriods: 5, threshold: 0, comparisonOperator: "GreaterThanThreshold",
    }));
    const db = { DBInstanceIdentifier: args.database.primaryId };
    alarm("rds-cpu-high", "", {
      namespace: "AWS/RDS", metricName: "CPUUtilization", dimensions: db, statistic: "Average", period: 300,
      evaluationPeriods: 2, threshold: 80, comparisonOperator: "GreaterThanThreshold",
    });
    alarm("rds-free-storage-low", "", {
      namespace: "AWS/RDS", metricName: "FreeStorageSpace", dimensions: db, statistic: "Minimum", period: 300,
      evaluationPeriods: 1, threshold: 2 * 1024 ** 3, comparisonOperator: "LessThanThreshold",
    });
    args.database.replicaIds.forEach((replica, i) => alarm("rds-replica-lag", `-${i + 1}`, {
      namespace: "AWS/RDS", metricName: "ReplicaLag", dimensions: { DBInstanceIdentifier: replica }, statistic: "Maximum",
      period: 60, evaluationPeriods: 3, threshold: 30, comparisonOperator: "GreaterThanThreshold",
    }));
    args.cache.nodeIds.forEach((node, i) => {
      const cache = { CacheClusterId: node };
      alarm("cache-cpu-high", `-${i + 1}`, {
        namespace: "AWS/ElastiCache", metricName: "EngineCPUUtilization", dimensions: cache, statistic: "Average",
        period: 300, evaluationPeriods: 2, threshold: 75, comparisonOperator: "GreaterThanThreshold",
      });
      alarm("cache-evictions", `-${i + 1}`, {
        namespace: "AWS/ElastiCache", metricName: "Evictions", dimensions: cache, statistic: "Sum",
        period: 300, evaluationPeriods: 1, threshold: 0, comparisonOperator: "GreaterThanThreshold",
      });
    });
    if (args.queue) {
      alarm("queue-dlq-not-empty", "", {
        alarmDescription: alarmDescription("queue-dlq-not-empty"),
        namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: args.queue.deadLetterName },
        statistic: "Maximum", period: 60, evaluationPeriods: 1, threshold: 0, comparisonOperator: "GreaterThanThreshold",
      });
      alarm("queue-backlog-age", "", {
        namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: args.queue.name },
        statistic: "Maximum", period: 60, evaluationPeriods: 5, threshold: 300, comparisonOperator: "GreaterThanThreshold",
      });
    }
    const region = aws.getRegionOutput({}, { parent: this }).region;
    const widget = (title: string, metrics: unknown[]) => ({
      type: "metric", width: 12, height: 6, properties: { title, metrics, period: 60, stat: "Average", region },
    });
    const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
      dashboardName: args.dashboardName,
      dashboardBody: pulumi.jsonStringify({
        widgets: [
          widget("Requests and 5xx", [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", args.alb.arnSuffix], [".", "HTTPCode_Target_5XX_Count", ".", "."]]),
          widget("p99 latency", [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", args.alb.arnSuffix, { stat: "p99" }]]),
          widget("RDS CPU", [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", args.database.primaryId]]),
          widget("Cache CPU and evictions", args.cache.nodeIds.flatMap((node) => [["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", node], [".", "Evictions", ".", "."]])),
        ],
      }),
    }, { parent: this });
    this.dashboardName = dashboard.dashboardName;
    this.registerOutputs({ dashboardName: this.dashboardName });
  }
}

