import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Actor } from '../../domain/actors';
import { parseCommand, type Action, type CreateItem } from '../../domain/commands';
import type { Item } from '../../domain/item';
import { shanghaiDate, shiftWorkingDays } from '../../domain/calendar';
import { currentCalendar } from '../../lib/calendar-store';
import type { Db } from '../../lib/db';
import { actOnItem, openItem } from '../../workflows/client/items';
import { itemWorkflowId } from '../../workflows/ids';
import { itemQuery } from '../../workflows/messages';
import { supervisor } from './actors';
import { testConfig } from './config';
import { DUE } from './dates';
import { SAMPLE_PAYLOADS } from './payloads';

export function newItemId(): string {
  return `T${randomUUID().slice(0, 8)}`;
}

export function spec(overrides: Partial<CreateItem> = {}): CreateItem {
  return {
    title: '老旧小区消防通道堵塞整改',
    description: '督查发现问题',
    category: 'inspection',
    priority: 'normal',
    source: '2026年第三季度专项督查',
    leadUnitId: 'unit-a',
    coUnitIds: [],
    dueDate: DUE,
    ...overrides,
  };
}

export async function open(
  client: Client,
  taskQueue: string,
  overrides: Partial<CreateItem> = {},
  maxDeclines = testConfig().MAX_DECLINES,
): Promise<Item> {
  return openItem(client, taskQueue, {
    id: newItemId(),
    problemListId: null,
    spec: spec(overrides),
    createdBy: supervisor,
    config: { maxDeclines },
  });
}

/**
 * An item `days` working days past its deadline, opened on its workflow as one already running
 * (the API refuses past due dates); returned once `until` holds of it (by default: it is red) and
 * the rungs that fired meanwhile are recorded.
 */
export async function openOverdue(
  stack: { t: { client: Client }; db: Db },
  taskQueue: string,
  days: number,
  overrides: Partial<CreateItem> = {},
  until: (item: Item) => boolean = (item) => item.deadlines?.light === 'red',
): Promise<Item> {
  const dueDate = shiftWorkingDays(await currentCalendar(stack.db), shanghaiDate(Date.now()), -days).date;
  const item = await open(stack.t.client, taskQueue, { ...overrides, dueDate });
  const handle = stack.t.client.workflow.getHandle(itemWorkflowId(item.id));
  const end = Date.now() + 20_000;
  while (!until(await handle.query(itemQuery))) {
    if (Date.now() > end) throw new Error(`item ${item.id} did not get as far as the test waits for`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await handle.executeUpdate('recorded', { args: [] });
  return item;
}

/** Acts with the sample payload unless one is given. */
export async function act(
  client: Client,
  item: Item | string,
  action: Action,
  actor: Actor,
  payload?: unknown,
  updateId?: string,
): Promise<Item> {
  const id = typeof item === 'string' ? item : item.id;
  return actOnItem(client, id, parseCommand({ action, payload: payload ?? SAMPLE_PAYLOADS[action], actor }), updateId);
}
