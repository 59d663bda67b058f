import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Actor } from '../../domain/actors';
import { parseCommand, type Action, type CreateItem } from '../../domain/commands';
import type { Item } from '../../domain/item';
import { actOnItem, openItem } from '../../workflows/client/items';
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
