/** The alarm ids the stacks create (stacks/alarms.ts), loaded the way the CLI loads stacks code. */
const ALARMS_MODULE = "../../stacks/alarms.ts";

export async function alarmIds(): Promise<string[]> {
  return [...((await import(ALARMS_MODULE)) as { ALARM_IDS: readonly string[] }).ALARM_IDS];
}
