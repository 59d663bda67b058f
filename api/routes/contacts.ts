import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CONTACT_ROLES } from '../../domain/contacts';
import { ContactBody, createContact, deleteContact, importContacts, updateContact } from '../contacts-service';
import { badRequest } from '../errors';
import { listContacts } from '../read/contacts';
import type { Services } from '../services';
import { ContactDeleted, ContactList, ContactSaved, ContactsImported } from './contacts.schemas';

const Id = z.object({
  id: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:@-]{1,80}$/, '联系人编号只能包含字母、数字和 . _ : @ -'),
});

const ListQuery = z.strictObject({
  unitId: z.string().trim().min(1).max(64).optional().describe('只看某单位的联系人'),
  role: z.enum(CONTACT_ROLES).optional().describe('只看某角色'),
  missing: z.enum(['email']).optional().describe('email：只看缺少邮箱的联系人'),
});

/**
 * The address book (通讯录): whom each notice reaches. Read by those who work with units (a
 * unit: its own contacts); kept by the system administrator, one by one or from a CSV file.
 */
export const contactRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/contacts',
    {
      config: { permission: 'contacts.read' },
      schema: {
        summary: '通讯录：联系人及其邮箱、手机，以及无人可收通知的单位角色',
        tags: ['contacts'],
        querystring: ListQuery,
        response: { 200: ContactList },
      },
    },
    async (request) => listContacts(services, request.actor, request.query),
  );

  app.post(
    '/api/contacts',
    {
      config: { permission: 'contacts.manage' },
      schema: {
        summary: '新增联系人（系统管理员）',
        tags: ['contacts'],
        body: ContactBody,
        response: { 201: ContactSaved },
      },
    },
    async (request, reply) => reply.status(201).send(await createContact(services, request.body)),
  );

  app.put(
    '/api/contacts/:id',
    {
      config: { permission: 'contacts.manage' },
      schema: {
        summary: '修改联系人（系统管理员；整条替换）',
        tags: ['contacts'],
        params: Id,
        body: ContactBody,
        response: { 200: ContactSaved },
      },
    },
    async (request) => updateContact(services, request.params.id, request.body),
  );

  app.delete(
    '/api/contacts/:id',
    {
      config: { permission: 'contacts.manage' },
      schema: {
        summary: '删除联系人（系统管理员）',
        tags: ['contacts'],
        params: Id,
        response: { 200: ContactDeleted },
      },
    },
    async (request) => deleteContact(services, request.params.id),
  );

  app.post(
    '/api/contacts/csv',
    {
      config: { permission: 'contacts.manage' },
      schema: {
        summary:
          '以 CSV 导入通讯录（首行为列名：姓名、单位、角色、邮箱、手机、即时通讯、用户编号、每日汇总），逐行校验，全部通过才导入',
        tags: ['contacts'],
        consumes: ['text/csv'],
        response: { 200: ContactsImported },
      },
    },
    async (request) => {
      if (typeof request.body !== 'string')
        throw badRequest([{ field: 'body', reason: '请以 text/csv 上传 CSV 文本' }]);
      return importContacts(services, request.body);
    },
  );
};
