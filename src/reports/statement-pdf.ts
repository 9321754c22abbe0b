import PDFDocument from 'pdfkit';
import type { AccountStatement } from '../ledger/statements/build-statement.js';
import { maskedAccountNumber } from '../ledger/statements/build-statement.js';
import { formatMinor } from '../ledger/money.js';
import { BANK_NAME, lineLabel, localDate } from './statement-text.js';

/**
 * A statement as a PDF that reads like a bank's (GET /v1/statements/:accountId/:month.pdf): a
 * header with the bank, the period and the account number masked to its last 4 digits, a summary
 * (opening, money in, money out, closing), a table of every line repeated under a header on each
 * page, and "Page n of N" at the foot of every page. Letter size, the standard Helvetica (no font
 * files to ship). Rendering only: the numbers come from the statement.
 */
const PAGE_MARGIN = 50;
const ROW_HEIGHT = 15;
const FONT_SIZE = 9;
/** Column x offsets and widths (points) of the table: date, description, in, out, balance. */
const COLUMNS = [
  { title: 'Date', x: 50, width: 62, align: 'left' },
  { title: 'Description', x: 112, width: 220, align: 'left' },
  { title: 'Money in', x: 332, width: 72, align: 'right' },
  { title: 'Money out', x: 404, width: 72, align: 'right' },
  { title: 'Balance', x: 476, width: 86, align: 'right' },
] as const;
/** A description longer than this is cut with an ellipsis so a line stays one row. */
const MAX_DESCRIPTION_CHARACTERS = 48;

export interface StatementPdfOptions {
  readonly timeZone: string;
  readonly accountType: string;
}

export function statementPdf(statement: AccountStatement, options: StatementPdfOptions): Promise<Buffer> {
  const document = new PDFDocument({ size: 'LETTER', margin: PAGE_MARGIN, bufferPages: true, info: { Title: `${BANK_NAME} statement ${statement.period.month}`, Author: BANK_NAME } });
  const chunks: Buffer[] = [];
  const finished = new Promise<Buffer>((resolve, reject) => {
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
  });
  const money = (minor: bigint) => formatMinor(minor, statement.currencyExponent);
  writeHeader(document, statement, options, money);
  let y = writeTableHeader(document, document.y + 10);
  for (const line of statement.lines) {
    if (y + ROW_HEIGHT > document.page.height - PAGE_MARGIN - ROW_HEIGHT) {
      document.addPage();
      y = writeTableHeader(document, PAGE_MARGIN);
    }
    const label = lineLabel(line);
    writeRow(document, y, [
      localDate(line.at, options.timeZone),
      label.length > MAX_DESCRIPTION_CHARACTERS ? `${label.slice(0, MAX_DESCRIPTION_CHARACTERS - 1)}…` : label,
      line.amountMinor > 0n ? money(line.amountMinor) : '',
      line.amountMinor < 0n ? money(-line.amountMinor) : '',
      money(line.balanceAfterMinor),
    ]);
    y += ROW_HEIGHT;
  }
  if (statement.lines.length === 0) writeRow(document, y, ['', 'No transactions this month.', '', '', '']);
  writePageNumbers(document);
  document.end();
  return finished;
}

function writeHeader(document: PDFKit.PDFDocument, statement: AccountStatement, options: StatementPdfOptions, money: (minor: bigint) => string): void {
  document.font('Helvetica-Bold').fontSize(16).text(BANK_NAME, PAGE_MARGIN, PAGE_MARGIN);
  document.font('Helvetica').fontSize(10).text(`Account statement for ${statement.period.month} (calendar month in ${options.timeZone})`);
  document.text(`${options.accountType} account ${maskedAccountNumber(statement.accountNumber)}, ${statement.currency}`);
  document.moveDown(0.5);
  const summary: Array<[string, string]> = [
    ['Opening balance', money(statement.openingMinor)],
    ['Money in', money(statement.totalInMinor)],
    ['Money out', money(statement.totalOutMinor)],
    ['Closing balance', money(statement.closingMinor)],
  ];
  for (const [label, amount] of summary) {
    const y = document.y;
    document.text(label, PAGE_MARGIN, y, { width: 150 });
    document.text(amount, PAGE_MARGIN + 150, y, { width: 100, align: 'right' });
  }
}

/** The table's column titles and a rule under them at `y`; returns where the first row goes. */
function writeTableHeader(document: PDFKit.PDFDocument, y: number): number {
  document.font('Helvetica-Bold').fontSize(FONT_SIZE);
  for (const column of COLUMNS) document.text(column.title, column.x, y, { width: column.width, align: column.align, lineBreak: false });
  const ruleY = y + ROW_HEIGHT - 3;
  document.moveTo(PAGE_MARGIN, ruleY).lineTo(COLUMNS[4].x + COLUMNS[4].width, ruleY).lineWidth(0.5).stroke();
  document.font('Helvetica').fontSize(FONT_SIZE);
  return y + ROW_HEIGHT;
}

function writeRow(document: PDFKit.PDFDocument, y: number, cells: readonly string[]): void {
  COLUMNS.forEach((column, index) => document.text(cells[index] ?? '', column.x, y, { width: column.width, align: column.align, lineBreak: false }));
}

/** "Page n of N" on every page, once all pages exist; the bottom margin is lifted so the footer does not start a new page. */
function writePageNumbers(document: PDFKit.PDFDocument): void {
  const range = document.bufferedPageRange();
  for (let index = range.start; index < range.start + range.count; index += 1) {
    document.switchToPage(index);
    const bottom = document.page.margins.bottom;
    document.page.margins.bottom = 0;
    document
      .font('Helvetica')
      .fontSize(8)
      .text(`Page ${index + 1} of ${range.count}`, PAGE_MARGIN, document.page.height - PAGE_MARGIN + 15, { width: document.page.width - 2 * PAGE_MARGIN, align: 'center', lineBreak: false });
    document.page.margins.bottom = bottom;
  }
}
