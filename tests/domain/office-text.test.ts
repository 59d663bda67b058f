import { describe, expect, it } from 'vitest';
import { categoryFrom, officeDate, priorityFrom, splitUnitList } from '../../domain/office-text';
import { parseCsvRecords } from '../../lib/csv';

describe('a list of units in one cell (splitUnitList)', () => {
  it('splits on 、 ， , ; ； and trims each name', () => {
    expect(splitUnitList(' 市民政局、市财政局，市公安局,市教育局;某区民政局； 某区某街道办事处 ')).toEqual([
      '市民政局',
      '市财政局',
      '市公安局',
      '市教育局',
      '某区民政局',
      '某区某街道办事处',
    ]);
  });

  it('keeps a name whole when its separator is inside brackets of any kind', () => {
    expect(splitUnitList('嘉兴市各县(市、区)社会建设委员会')).toEqual(['嘉兴市各县(市、区)社会建设委员会']);
    expect(splitUnitList('嘉兴市各县(市、区)社会建设委员会、市民政局')).toEqual([
      '嘉兴市各县(市、区)社会建设委员会',
      '市民政局',
    ]);
    expect(
      splitUnitList('各县（市、区）政府；【市、县】联络组,[甲,乙]办公室、〔2026、1〕专班、《条例、细则》起草组'),
    ).toEqual(['各县（市、区）政府', '【市、县】联络组', '[甲,乙]办公室', '〔2026、1〕专班', '《条例、细则》起草组']);
    // Nested brackets: the name ends only when every bracket is closed.
    expect(splitUnitList('甲（乙(丙、丁)戊、己）、庚')).toEqual(['甲（乙(丙、丁)戊、己）', '庚']);
  });

  it('keeps a quoted name whole and drops its quotes', () => {
    expect(splitUnitList('“甲、乙联合办公室”、市民政局')).toEqual(['甲、乙联合办公室', '市民政局']);
    expect(splitUnitList('"甲,乙专班";‘丙、丁’')).toEqual(['甲,乙专班', '丙、丁']);
  });

  it('drops empty names, and a bracket left open keeps the rest of the cell in one name', () => {
    expect(splitUnitList('、市民政局、、 ,')).toEqual(['市民政局']);
    expect(splitUnitList('')).toEqual([]);
    expect(splitUnitList('甲（乙、丙')).toEqual(['甲（乙、丙']);
    // A stray closing bracket does not open anything.
    expect(splitUnitList('区)社会建设委员会、市民政局')).toEqual(['区)社会建设委员会', '市民政局']);
  });

  it('leaves a qualified name (上级/单位) alone', () => {
    expect(splitUnitList('嘉兴市/市发展改革委、湖州市/市发展改革委')).toEqual([
      '嘉兴市/市发展改革委',
      '湖州市/市发展改革委',
    ]);
  });
});

describe('dates as offices write them (officeDate)', () => {
  it('reads 2026-12-31, 2026/12/31, 2026年12月31日, 2026.12.31 and short months and days', () => {
    for (const d of [
      '2026-12-31',
      '2026/12/31',
      '2026年12月31日',
      '2026.12.31',
      ' 2026 年 12 月 31 日 ',
      '２０２６年１２月３１日',
    ])
      expect(officeDate(d), d).toBe('2026-12-31');
    expect(officeDate('2026/1/5')).toBe('2026-01-05');
    expect(officeDate('2026年1月5号')).toBe('2026-01-05');
  });

  it('leaves an impossible date for the schema to refuse, and text that is no date unchanged', () => {
    expect(officeDate('2026/2/30')).toBe('2026-02-30');
    expect(officeDate('明年三月')).toBe('明年三月');
    expect(officeDate('2026-12/31')).toBe('2026-12/31');
    expect(officeDate('15个工作日')).toBe('15个工作日');
  });
});

describe('category and priority in words', () => {
  it('takes the labels the product shows and the English codes', () => {
    expect(categoryFrom('督查检查发现')).toBe('inspection');
    expect(categoryFrom('领导批示')).toBe('leader_instruction');
    expect(categoryFrom('会议决定事项')).toBe('meeting_decision');
    expect(categoryFrom('inspection')).toBe('inspection');
    expect(categoryFrom('Inspection')).toBe('inspection');
    expect(priorityFrom('紧急')).toBe('urgent');
    expect(priorityFrom('重要')).toBe('high');
    expect(priorityFrom('一般')).toBe('normal');
    expect(priorityFrom('urgent')).toBe('urgent');
  });

  it('leaves an unknown word unchanged for the schema to name', () => {
    expect(categoryFrom('随便')).toBe('随便');
    expect(priorityFrom('很急很急')).toBe('很急很急');
  });
});

describe('CSV records keep the row a spreadsheet shows', () => {
  it('counts blank rows, not line breaks inside quotes', () => {
    const rows = parseCsvRecords('\uFEFF标题,牵头单位\r\n"一行\r\n两行",甲\r\n\r\n,\r\n  "引号前有空格, 也可以",乙\n');
    expect(rows).toEqual([
      { row: 1, cells: ['标题', '牵头单位'] },
      { row: 2, cells: ['一行\r\n两行', '甲'] },
      { row: 5, cells: ['引号前有空格, 也可以', '乙'] },
    ]);
  });
});
