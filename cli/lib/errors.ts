/**
 * A mistake in what the operator gave (an environment variable, an audit log path, a parameter)
 * found below the command layer. BaseCommand turns it into exit 2 with its message; `exit` is a
 * plain field so the check works even when a module is loaded twice.
 */
export class OperatorMistake extends Error {
  override name = "OperatorMistake";
  readonly exit = 2 as const;
  constructor(
    message: string,
    readonly suggestions: string[] = [],
  ) {
    super(message);
  }
}

export function isOperatorMistake(err: unknown): err is OperatorMistake {
  return err instanceof Error && (err as Partial<OperatorMistake>).exit === 2 && Array.isArray((err as Partial<OperatorMistake>).suggestions);
}
