/** Whom a notice reaches, from the address book alone (no server): seats, jurisdictions, disabled users. */
import { describe, expect, it } from 'vitest';
import { recipientResolver } from '../../activities/notifications';

const units = new Map([
  ['city', '市人民政府'],
  ['unit-a', '市民政局'],
  ['district', '某区人民政府'],
  ['district-a', '某区民政局'],
]);
const parentOf = new Map<string, string | null>([
  ['city', null],
  ['unit-a', 'city'],
  ['district', 'city'],
  ['district-a', 'district'],
]);
const contact = (
  id: string,
  unitId: string | null,
  role: string,
  email: string | null,
  userId: string | null = null,
) => ({
  id,
  unitId,
  role,
  name: id,
  email,
  userId,
  digest: false,
});
const users = new Map([
  ['u-city-sup', { id: 'u-city-sup', name: '市督查', active: true, jurisdictionUnitId: null }],
  ['u-district-sup', { id: 'u-district-sup', name: '区督查', active: true, jurisdictionUnitId: 'district' }],
  ['u-gone', { id: 'u-gone', name: '已调离', active: false, jurisdictionUnitId: null }],
  ['u-opener', { id: 'u-opener', name: '立项人', active: true, jurisdictionUnitId: null }],
]);

const resolver = recipientResolver({
  contacts: [
    contact('a-handler', 'unit-a', 'handler', null),
    contact('a-gone', 'unit-a', 'unit_leader', 'gone@example.gov.cn', 'u-gone'),
    contact('city-sup', 'city', 'supervisor', 'city@example.gov.cn', 'u-city-sup'),
    contact('district-sup', 'district', 'supervisor', 'district@example.gov.cn', 'u-district-sup'),
  ],
  users,
  units,
  parentOf,
});

describe('recipients of a notice', () => {
  it('fills every target: a contact without an address, an empty seat for a role nobody fills or whose user left', () => {
    const r = resolver.recipients(['handler', 'unit_leader', 'leader'], ['unit-a']);
    expect(r.map((x) => [x.key, x.email, x.missing])).toEqual([
      ['contact:a-handler', null, '缺少邮箱'],
      ['unit:unit-a:unit_leader', null, '缺少联系人：该单位未登记单位负责人'],
      ['oversight:leader', null, '缺少联系人：未登记领导'],
    ]);
    expect(r[1]!.name).toBe('市民政局单位负责人（未登记）');
  });

  it("reaches the supervisors over the unit only: a district's supervisor is not told of the city's bureau", () => {
    expect(resolver.recipients(['supervisor'], ['unit-a']).map((x) => x.key)).toEqual(['contact:city-sup']);
    expect(resolver.recipients(['supervisor'], ['district-a']).map((x) => x.key)).toEqual([
      'contact:city-sup',
      'contact:district-sup',
    ]);
  });

  it('tells the supervisors over the unit and whoever opened the item, once each', () => {
    expect(resolver.tellers('district-a', 'u-city-sup').map((x) => x.key)).toEqual([
      'contact:city-sup',
      'contact:district-sup',
    ]);
    // An opener without a contact is told in the app.
    expect(resolver.tellers('unit-a', 'u-opener').map((x) => [x.key, x.email])).toEqual([
      ['contact:city-sup', 'city@example.gov.cn'],
      ['user:u-opener', null],
    ]);
  });
});
