/**
 * The one module that talks to enquirer: switching prompt libraries touches
 * only this file. A cancelled prompt (Esc, Ctrl-C) throws UserAbort.
 */
import { UserAbort } from '../errors.js';

export interface PromptChoice<T extends string = string> {
  value: T;
  label: string;
  hint?: string;
}

export interface Prompts {
  select<T extends string>(message: string, choices: PromptChoice<T>[], initial?: T): Promise<T>;
  /** a list filtered as you type */
  search<T extends string>(message: string, choices: PromptChoice<T>[]): Promise<T>;
  input(message: string, initial: string, validate?: (value: string) => string | true): Promise<string>;
  confirm(message: string, initial: boolean): Promise<boolean>;
}

async function ask<T>(question: Record<string, unknown>): Promise<T> {
  // loaded on the first question, not at start-up: most runs never ask one
  const { default: enquirer } = await import('enquirer');
  try {
    const answers = (await enquirer.prompt({ name: 'answer', ...question } as never)) as { answer: T };
    return answers.answer;
  } catch (error) {
    // enquirer rejects with an empty string (or no error at all) when the user cancels
    if (error === '' || error === undefined || (error instanceof Error && error.message === '')) throw new UserAbort('cancelled; nothing was created');
    throw error;
  }
}

export function enquirerPrompts(): Prompts {
  return {
    async select(message, choices, initial) {
      const index = initial === undefined ? 0 : Math.max(0, choices.findIndex((choice) => choice.value === initial));
      const answer = await ask<string>({
        type: 'select',
        message,
        initial: index,
        choices: choices.map((choice) => ({ name: choice.value, message: choice.label, hint: choice.hint })),
      });
      return answer as never;
    },
    async search(message, choices) {
      const answer = await ask<string>({
        type: 'autocomplete',
        message: `${message} (type to filter)`,
        limit: 12,
        choices: choices.map((choice) => ({ name: choice.value, message: choice.label, hint: choice.hint })),
      });
      return answer as never;
    },
    async input(message, initial, validate) {
      return ask<string>({ type: 'input', message, initial, validate: validate ? (value: string) => validate(value) : undefined });
    },
    async confirm(message, initial) {
      return ask<boolean>({ type: 'confirm', message, initial });
    },
  };
}
