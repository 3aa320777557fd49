/**
 * The CloudWatch alarms the stacks create. Every `aws:cloudwatch/metricAlarm:MetricAlarm` carries the tag
 * `"scale:alarm": "<alarm-id>"`; runbooks map to these ids. Keep this file free of Pulumi imports.
 */

/** The tag key that names an alarm's id on the MetricAlarm resource. */
export const ALARM_TAG = "scale:alarm";

/** Every alarm id, in ladder order. */
export const ALARM_IDS = [
  "box-cpu-high",
  "box-status-check-failed",
  "alb-5xx-rate",
  "alb-p99-latency",
  "alb-unhealthy-hosts",
  "rds-cpu-high",
  "rds-free-storage-low",
  "rds-replica-lag",
  "cache-cpu-high",
  "cache-evictions",
  "queue-dlq-not-empty",
  "queue-backlog-age",
] as const;

/** One alarm id. */
export type AlarmId = (typeof ALARM_IDS)[number];

/** What each alarm means, from which stage it exists, and the runbook its notification names (where one is set). */
export const ALARM_DESCRIPTIONS: Readonly<Record<AlarmId, { description: string; stages: string; runbook?: string }>> = Object.freeze({
  "box-cpu-high": { description: "The single box's CPU is above 80% for 10 minutes.", stages: "0-1" },
  "box-status-check-failed": { description: "The single box failed an EC2 status check.", stages: "0-1" },
  "alb-5xx-rate": { description: "More than 1% of the ALB's responses are 5xx for 5 minutes.", stages: "4+" },
  "alb-p99-latency": { description: "The ALB's p99 target response time is above 1 s for 5 minutes.", stages: "4+" },
  "alb-unhealthy-hosts": { description: "A target group has an unhealthy host for 5 minutes.", stages: "4+" },
  "rds-cpu-high": { description: "The RDS primary's CPU is above 80% for 10 minutes.", stages: "4+" },
  "rds-free-storage-low": { description: "The RDS primary has less than 2 GiB of free storage.", stages: "4+" },
  "rds-replica-lag": { description: "A read replica lags the primary by more than 30 s.", stages: "4+ with replicas" },
  "cache-cpu-high": { description: "The cache's engine CPU is above 75% for 10 minutes.", stages: "4+" },
  "cache-evictions": { description: "The cache evicts keys: it is too small for the working set.", stages: "4+" },
  "queue-dlq-not-empty": { description: "A job failed every delivery and landed in the dead-letter queue (its photo is marked failed).", stages: "5", runbook: "dlq-redrive" },
  "queue-backlog-age": { description: "The oldest job in the queue is older than 5 minutes.", stages: "5" },
});

/** The alarm's description as the notification shows it, naming its runbook when it has one. */
export function alarmDescription(id: AlarmId): string {
  const { description, runbook } = ALARM_DESCRIPTIONS[id];
  return runbook ? `${description} Runbook: scale runbook run ${runbook}` : description;
}

/** The tags an alarm with this id carries. */
export function alarmTags(id: AlarmId): Record<string, string> {
  return { [ALARM_TAG]: id };
}
