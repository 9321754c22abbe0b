import { bankingDayOf, bankingDayWindow, type BankCalendar } from './business-days.js';

/** The instants of one banking day: from the previous business day's cut-off to this day's. */
export interface BankingDayWindow {
  readonly startsAt: Date;
  readonly endsAt: Date;
}

/**
 * The last window found per calendar. Placing an instant in a zone costs luxon tens of
 * microseconds, and every judged movement and check deposit asks for the window of `now`: the
 * same one all day. A window is exactly the instants its banking day holds, so an instant inside
 * it needs no new computation; the answer is the same as bankingDayWindow(bankingDayOf(...)).
 */
const lastWindowByCalendar = new WeakMap<BankCalendar, BankingDayWindow>();

/** The banking day window `instant` falls in (bankingDayOf, then bankingDayWindow), remembered per calendar. */
export function bankingDayContaining(instant: Date, calendar: BankCalendar): BankingDayWindow {
  const last = lastWindowByCalendar.get(calendar);
  const time = instant.getTime();
  if (last && last.startsAt.getTime() <= time && time < last.endsAt.getTime()) return last;
  const window = bankingDayWindow(bankingDayOf(instant, calendar), calendar);
  lastWindowByCalendar.set(calendar, window);
  return window;
}
