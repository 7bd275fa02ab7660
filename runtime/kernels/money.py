"""The money arithmetic of risk, execution and portfolio (docs/semantics.md, sections 6 to 8), by name.

The generated program calls these instead of spelling the arithmetic out inline; each is
`inline="always"`, so numba compiles the same machine code as the arithmetic written in place.
Every function computes exactly the expression of the semantics, in the same evaluation order:
the compiled engine must agree with the reference engine (`runtime/reference/`, which does
not use them) to the bit. `error_model="numpy"`: a division by zero gives inf or NaN, as in the
program that inlines them.
"""

import numpy as np
from numba import njit

from flowc.runtime.kernels.ops import sign_nb

# ---- risk: combine the present directions (section 6, step 3) ----


@njit(cache=True, inline="always", error_model="numpy")
def combine_sum_nb(total: float) -> float:
    """`sum`: the directions' sum clipped to [-1, 1]."""
    return min(max(total, -1.0), 1.0)


@njit(cache=True, inline="always", error_model="numpy")
def combine_mean_nb(total: float, count: int) -> float:
    """`mean`: the sign of the directions' mean."""
    return sign_nb(total / count)


@njit(cache=True, inline="always", error_model="numpy")
def combine_unanimous_nb(first: float, agree: bool) -> float:
    """`unanimous`: the common direction if all are equal, else flat."""
    return first if agree else 0.0


@njit(cache=True, inline="always", error_model="numpy")
def long_only_nb(direction: float, long_only: float) -> float:
    """A short direction is flat when `long_only` is set (non-zero)."""
    if long_only != 0.0 and direction < 0.0:
        return 0.0
    return direction


# ---- risk: size and limits (section 6, steps 4 and 5) ----


@njit(cache=True, inline="always", error_model="numpy")
def resize_nb(remembered: float, direction: float, rebalance: float) -> bool:
    """Whether to size again: no direction remembered yet (NaN), a new direction, or `rebalance` true."""
    return remembered != remembered or direction != remembered or (rebalance == rebalance and rebalance != 0.0)


@njit(cache=True, inline="always", error_model="numpy")
def whole_nb(units: float, fractional: float) -> float:
    """Units rounded down to whole ones, unless `fractional` is set (non-zero)."""
    return units if fractional != 0.0 else np.floor(units)


@njit(cache=True, inline="always", error_model="numpy")
def size_fixed_nb(quantity: float, direction: float) -> float:
    """`fixed(q)`: q shares in the direction."""
    return quantity * direction


@njit(cache=True, inline="always", error_model="numpy")
def size_percent_equity_nb(percent: float, equity: float, price: float, direction: float, fractional: float):
    """`percent_equity(p)`: the shares that p % of the equity buys at `price`, in the direction."""
    return direction * whole_nb(((percent / 100.0) * equity) / price, fractional)


@njit(cache=True, inline="always", error_model="numpy")
def size_units_nb(units: float, direction: float, fractional: float) -> float:
    """`units(x)`: x shares in the direction."""
    return direction * whole_nb(units, fractional)


@njit(cache=True, inline="always", error_model="numpy")
def size_weight_nb(weight: float, equity: float, price: float, direction: float, fractional: float) -> float:
    """`weight(w)`: the shares that a fraction w of the equity buys at `price`, in the direction."""
    return direction * whole_nb((weight * equity) / price, fractional)


@njit(cache=True, inline="always", error_model="numpy")
def size_risk_percent_nb(percent: float, equity: float, distance: float, direction: float,
                         fractional: float) -> float:
    """`risk_percent(p, distance)`: the shares whose loss over `distance` is p % of the equity."""
    return direction * whole_nb(((percent / 100.0) * equity) / distance, fractional)


@njit(cache=True, inline="always", error_model="numpy")
def max_position_nb(target: float, limit: float) -> float:
    """`max_position = m`: the target clipped to [-m, m]."""
    return min(max(target, -limit), limit)


@njit(cache=True, inline="always", error_model="numpy")
def max_drawdown_nb(target: float, book: float, drawdown: float, limit: float) -> float:
    """`max_drawdown = md`: at a drawdown of md % or more, the target only moves the book towards flat."""
    if drawdown >= limit / 100.0:
        side = sign_nb(book)
        return side * min(abs(book), max(0.0, side * target))
    return target


@njit(cache=True, inline="always", error_model="numpy")
def opens_nb(before: float, book: float) -> bool:
    """Whether an order took the book from `before` to a new position (from flat, or a reversal)."""
    return book != 0.0 and sign_nb(book) != sign_nb(before)


@njit(cache=True, inline="always", error_model="numpy")
def grows_nb(before: float, book: float) -> bool:
    """Whether an order from `before` to `book` opens or increases a position (a reversal included)."""
    return abs(book) > abs(before) or book * before < 0.0


# ---- risk: exits (section 6a) ----


@njit(cache=True, inline="always", error_model="numpy")
def level_below_nb(price: float, percent: float) -> float:
    """`percent` % below `price`: a long position's stop, a short position's goal."""
    return price * (1.0 - percent / 100.0)


@njit(cache=True, inline="always", error_model="numpy")
def level_above_nb(price: float, percent: float) -> float:
    """`percent` % above `price`: a long position's goal, a short position's stop."""
    return price * (1.0 + percent / 100.0)


@njit(cache=True, inline="always", error_model="numpy")
def offset_below_nb(price: float, distance: float) -> float:
    """`distance` below `price`: a long position's stop, a short position's goal."""
    return price - distance


@njit(cache=True, inline="always", error_model="numpy")
def offset_above_nb(price: float, distance: float) -> float:
    """`distance` above `price`: a long position's goal, a short position's stop."""
    return price + distance


@njit(cache=True, inline="always", error_model="numpy")
def trail_long_nb(stop: float, trail: float) -> float:
    """A long position's stop with its trailing stop: the higher (tighter) of the two."""
    return trail if trail > stop else stop


@njit(cache=True, inline="always", error_model="numpy")
def trail_short_nb(stop: float, trail: float) -> float:
    """A short position's stop with its trailing stop: the lower (tighter) of the two."""
    return trail if trail < stop else stop


@njit(cache=True, inline="always", error_model="numpy")
def exit_long_nb(open_: float, high: float, low: float, stop: float, goal: float) -> float:
    """A long position's exit price on a bar, the first rule that holds; NaN: no exit.

    Gapped through the stop or the goal at the open: the open; else the stop if the low reached
    it; else the goal if the high did (the stop wins when a bar reaches both).
    """
    if open_ <= stop:
        return open_
    if open_ >= goal:
        return open_
    if low <= stop:
        return stop
    if high >= goal:
        return goal
    return np.nan


@njit(cache=True, inline="always", error_model="numpy")
def exit_short_nb(open_: float, high: float, low: float, stop: float, goal: float) -> float:
    """A short position's exit price on a bar, the mirror image of `exit_long_nb`; NaN: no exit."""
    if open_ >= stop:
        return open_
    if open_ <= goal:
        return open_
    if high >= stop:
        return stop
    if low <= goal:
        return goal
    return np.nan


# ---- execution: the price and the cost of a fill (section 7) ----


@njit(cache=True, inline="always", error_model="numpy")
def slipped_nb(price: float, quantity: float, bps: float) -> float:
    """`slippage = bps(b)`: the price moved b basis points against the order."""
    return price + sign_nb(quantity) * ((bps / 10000.0) * price)


@njit(cache=True, inline="always", error_model="numpy")
def volume_impact_nb(price: float, quantity: float, k: float, volume: float) -> float:
    """`slippage = volume_impact(k)`: the price moved against the order by k times the order's share of
    the volume known at the fill; no volume known (not above 0, NaN): no impact."""
    if volume > 0.0:
        return price + sign_nb(quantity) * ((k * (abs(quantity) / volume)) * price)
    return price


@njit(cache=True, inline="always", error_model="numpy")
def entry_spread_nb(price: float, quantity: float, held: float, bps: float) -> float:
    """`entry_spread = bps(e)`: the price moved e basis points against the order on the part of the fill
    that opens or grows a position from `held`, in proportion: `price + sign(q) * (((e / 10000.0) *
    price) * (opening / abs(q)))`; a fill that only reduces `held` is not moved."""
    closing = 0.0
    if quantity * held < 0.0:
        closing = min(abs(quantity), abs(held))
    opening = abs(quantity) - closing
    if opening > 0.0:
        return price + sign_nb(quantity) * (((bps / 10000.0) * price) * (opening / abs(quantity)))
    return price


@njit(cache=True, inline="always", error_model="numpy")
def participation_room_nb(percent: float, volume: float) -> float:
    """`max_participation = m`: the whole units a bar of `volume` lets fill, `floor((m / 100.0) * volume)`;
    none when no volume is known (not above 0, NaN)."""
    if volume > 0.0:
        return np.floor((percent / 100.0) * volume)
    return 0.0


@njit(cache=True, inline="always", error_model="numpy")
def capped_nb(quantity: float, room: float) -> float:
    """The part of an order of `quantity` that fills within `room` units: all of it if it fits, else
    `room` units in its direction."""
    if abs(quantity) <= room:
        return quantity
    return room if quantity > 0.0 else 0.0 - room


@njit(cache=True, inline="always", error_model="numpy")
def commission_percent_nb(percent: float, quantity: float, price: float) -> float:
    """`percent(p)`: p % of the traded value."""
    return percent / 100.0 * abs(quantity) * price


@njit(cache=True, inline="always", error_model="numpy")
def commission_per_share_nb(rate: float, quantity: float) -> float:
    """`per_share(c)`: c per share traded."""
    return rate * abs(quantity)


@njit(cache=True, inline="always", error_model="numpy")
def tier_rate_nb(rate: float, quantity: float, size: float, tier_rate: float) -> float:
    """`per_share_tiers`: the rate of the tier from `size` shares on if the fill reaches it, else `rate`
    (the tiers are passed in increasing size, so the last tier reached wins)."""
    return tier_rate if abs(quantity) >= size else rate


@njit(cache=True, inline="always", error_model="numpy")
def commission_fixed_nb(fee: float) -> float:
    """`fixed(c)`: c per fill."""
    return fee


@njit(cache=True, inline="always", error_model="numpy")
def commission_floor_nb(fee: float, minimum: float) -> float:
    """`min_commission = m`: at least m per fill."""
    return minimum if fee < minimum else fee


@njit(cache=True, inline="always", error_model="numpy")
def commission_cap_nb(fee: float, cap: float) -> float:
    """`max_commission`: at most the cap per fill."""
    return cap if fee > cap else fee


# ---- portfolio: fills and mark to market (section 8) ----


@njit(cache=True, inline="always", error_model="numpy")
def apply_fill_nb(position: float, cash: float, quantity: float, price: float, commission: float):
    """The position and cash after a fill: one addition, and one subtraction of value and commission."""
    return position + quantity, cash - (quantity * price + commission)


@njit(cache=True, inline="always", error_model="numpy")
def affordable_nb(cash: float, price: float, rate: float, per_share: float, fixed: float, minimum: float) -> float:
    """The whole units the cash pays for at `price` with their commission (section 8, buying power):
    `floor((cash - fixed) / (price * (1.0 + rate) + per_share))`, and with a minimum commission (not
    NaN) at most `floor((cash - minimum) / price)`."""
    n = np.floor((cash - fixed) / (price * (1.0 + rate) + per_share))
    if minimum == minimum:
        m = np.floor((cash - minimum) / price)
        if m < n:
            n = m
    return n


@njit(cache=True, inline="always", error_model="numpy")
def bought_nb(quantity: float, affordable: float, reject: bool) -> float:
    """What fills of a buy of `quantity` when `affordable` units can be paid: all of it if it fits,
    else the affordable units (`cut`) or nothing (`reject`)."""
    if quantity <= affordable:
        return quantity
    return 0.0 if reject else affordable


@njit(cache=True, inline="always", error_model="numpy")
def held_value_nb(position: float, price: float) -> float:
    """A position's gross exposure at `price`: `abs(position) * price`, 0.0 when flat (section 8, leverage)."""
    if position == 0.0:
        return 0.0
    return abs(position) * price


@njit(cache=True, inline="always", error_model="numpy")
def exposure_nb(exposure: np.ndarray, skip: int, symbols: int) -> float:
    """The gross exposure of the symbols other than `skip`: summed in symbol order from 0.0."""
    total = 0.0
    for s in range(symbols):
        if s != skip:
            total = total + exposure[s]
    return total


@njit(cache=True, inline="always", error_model="numpy")
def leveraged_nb(quantity: float, position: float, price: float, leverage: float, equity: float, others: float,
                 reject: bool) -> float:
    """What fills of an order of `quantity` under a gross leverage limit (section 8): the whole units
    `a = floor((leverage * equity - others) / price - position)` for a buy (`+ position` for a sell),
    at least what brings a position on the other side to flat, then all of the order if it fits,
    else `a` (`cut`) or nothing (`reject`); the sign the order's."""
    room = (leverage * equity - others) / price
    if quantity > 0.0:
        a = np.floor(room - position)
        m = 0.0 - position if position < 0.0 else 0.0
    else:
        a = np.floor(room + position)
        m = position if position > 0.0 else 0.0
    if not a >= m:
        a = m
    got = bought_nb(abs(quantity), a, reject)
    return got if quantity > 0.0 else 0.0 - got


@njit(cache=True, inline="always", error_model="numpy")
def years_nb(now: float, before: float) -> float:
    """The years from `before` to `now` (seconds), 365 days of 86400 seconds each (actual/365); 0.0 when
    there is no `before` (NaN: the portfolio's first run)."""
    if before != before:
        return 0.0
    return (now - before) / 31536000.0


@njit(cache=True, inline="always", error_model="numpy")
def interest_nb(cash: float, rate: float) -> float:
    """The cash after a bar's interest at `rate` (a fraction): earned on a positive cash, paid on a negative."""
    return cash + cash * rate


@njit(cache=True, inline="always", error_model="numpy")
def borrow_fee_nb(cash: float, positions: np.ndarray, last_close: np.ndarray, rate: float, symbols: int) -> float:
    """The cash after a bar's borrow fee at `rate` (a fraction) on each short position's value at its
    last close, one subtraction per short symbol, in symbol order."""
    for s in range(symbols):
        if positions[s] < 0.0:
            cash = cash - ((0.0 - positions[s]) * last_close[s]) * rate
    return cash


@njit(cache=True, inline="always", error_model="numpy")
def mark_to_market_nb(cash: float, positions: np.ndarray, last_close: np.ndarray, symbols: int,
                      worth: np.ndarray) -> float:
    """The equity: cash plus each held position at its symbol's last known close, in symbol order.

    Two loops instead of one with a branch per symbol, which the CPU mispredicts as positions
    open and close (100 symbols x 100k bars: 207 -> 183 ms for the whole run). The first puts
    each symbol's held value in the scratch `worth` [S], -0.0 where flat, without a branch; the
    second adds them in order. -0.0 leaves every sum as it was (NaN and -0.0 too), so skipping a
    flat symbol and adding its -0.0 are the same bits.

    `symbols` is the program's `S`: a loop to a bound the program already has compiles to the
    loop written in place (looping to `positions.shape[0]` cost the 1M-bar run 0.5 ms).
    """
    for s in range(symbols):
        worth[s] = positions[s] * last_close[s] if positions[s] != 0.0 else -0.0
    equity = cash
    for s in range(symbols):
        equity = equity + worth[s]
    return equity


@njit(cache=True, inline="always", error_model="numpy")
def mark_to_market_one_nb(cash: float, position: float, last_close: float) -> float:
    """`mark_to_market_nb` of one symbol, from its position and close rather than arrays of them."""
    equity = cash
    if position != 0.0:
        equity = equity + position * last_close
    return equity


# ---- portfolio: futures contracts (section 8b) ----


@njit(cache=True, inline="always", error_model="numpy")
def futures_fill_nb(position: float, cash: float, quantity: float, price: float, commission: float, mark: float,
                    multiplier: float, margin: float):
    """The position and cash after a fill of a futures contract: the position held is settled from its
    mark to the fill price, the margin of the change in contracts held is posted (or released), and the
    commission paid. No notional changes hands: a contract is a claim on price changes."""
    if position != 0.0:
        cash = cash + position * (price - mark) * multiplier
    after = position + quantity
    return after, cash - ((abs(after) - abs(position)) * margin + commission)


@njit(cache=True, inline="always", error_model="numpy")
def settle_futures_nb(cash: float, positions: np.ndarray, last_close: np.ndarray, marks: np.ndarray,
                      future: np.ndarray, multiplier: np.ndarray, symbols: int) -> float:
    """The cash after the step's variation margin: each futures position settled from its mark to its
    last known close (that close its new mark), in symbol order; a symbol never closed is not settled."""
    for s in range(symbols):
        if future[s] != 0.0 and positions[s] != 0.0 and last_close[s] == last_close[s]:
            cash = cash + positions[s] * (last_close[s] - marks[s]) * multiplier[s]
            marks[s] = last_close[s]
    return cash


@njit(cache=True, inline="always", error_model="numpy")
def margined_nb(quantity: float, position: float, cash: float, margin: float, price: float, rate: float,
                per_share: float, fixed: float, minimum: float, reject: bool) -> float:
    """What fills of a futures order under buying power: the contracts that close part of the position
    always; the ones that open, at most `floor((cash - fixed) / (margin + price * rate + per_share))`
    (with a minimum commission, not NaN, at most `floor((cash - minimum) / margin)`), else cut to it
    or (`reject`) none; the order's sign."""
    size = abs(quantity)
    closing = 0.0
    if quantity * position < 0.0:
        closing = size if size <= abs(position) else abs(position)
    opening = size - closing
    if opening > 0.0:
        n = np.floor((cash - fixed) / (margin + price * rate + per_share))
        if minimum == minimum:
            m = np.floor((cash - minimum) / margin)
            if m < n:
                n = m
        opening = bought_nb(opening, n, reject)
        if not opening > 0.0:
            opening = 0.0
    units = closing + opening
    return units if quantity > 0.0 else 0.0 - units


@njit(cache=True, inline="always", error_model="numpy")
def borrow_fee_stocks_nb(cash: float, positions: np.ndarray, last_close: np.ndarray, future: np.ndarray, rate: float,
                         symbols: int) -> float:
    """`borrow_fee_nb` on the stocks alone: a short futures contract borrows nothing."""
    for s in range(symbols):
        if positions[s] < 0.0 and future[s] == 0.0:
            cash = cash - ((0.0 - positions[s]) * last_close[s]) * rate
    return cash


@njit(cache=True, inline="always", error_model="numpy")
def mark_to_market_futures_nb(cash: float, positions: np.ndarray, last_close: np.ndarray, future: np.ndarray,
                              margin: np.ndarray, symbols: int) -> float:
    """The equity with futures: cash plus each stock position at its last close and each futures
    position's posted margin, `abs(position) * margin` (its gains and losses are in the cash)."""
    equity = cash
    for s in range(symbols):
        if positions[s] != 0.0:
            if future[s] != 0.0:
                equity = equity + abs(positions[s]) * margin[s]
            else:
                equity = equity + positions[s] * last_close[s]
    return equity


@njit(cache=True, inline="always", error_model="numpy")
def drawdown_nb(equity: float, peak: float):
    """The peak and drawdown after marking to market at `equity`."""
    if equity > peak:
        peak = equity
    return peak, 1.0 - equity / peak


# ---- execution: working orders (section 7) ----


@njit(cache=True, inline="always", error_model="numpy")
def limit_fill_nb(q: float, level: float, open_: float, high: float, low: float) -> float:
    """A limit order's fill price on a bar, NaN if it does not fill: a buy at the open if it opens at
    or below the level, else at the level if the low reaches it; a sell the mirror image."""
    if q > 0.0:
        if open_ <= level:
            return open_
        return level if low <= level else np.nan
    if open_ >= level:
        return open_
    return level if high >= level else np.nan


@njit(cache=True, inline="always", error_model="numpy")
def stop_fill_nb(q: float, level: float, open_: float, high: float, low: float) -> float:
    """A stop order's fill price on a bar, NaN if it does not fill: a buy at the open if it opens at or
    above the level, else at the level if the high reaches it; a sell the mirror image."""
    if q > 0.0:
        if open_ >= level:
            return open_
        return level if high >= level else np.nan
    if open_ <= level:
        return open_
    return level if low <= level else np.nan


@njit(cache=True, inline="always", error_model="numpy")
def stop_limit_fill_nb(q: float, stop: float, limit: float, triggered: float, open_: float, high: float,
                       low: float) -> tuple[float, float]:
    """A stop-limit order's fill price on a bar (NaN: none) and whether it is triggered (1.0) after it.

    Triggered before this bar, or by this bar's open (a buy: the open at or above the stop): a
    limit at `limit` on this bar. Triggered within the bar (the high reaches the stop): a limit from
    the next bar, as the order of the high and the low within a bar is unknown.
    """
    if triggered != 0.0:
        return limit_fill_nb(q, limit, open_, high, low), 1.0
    if q > 0.0:
        if open_ >= stop:
            return limit_fill_nb(q, limit, open_, high, low), 1.0
        return np.nan, 1.0 if high >= stop else 0.0
    if open_ <= stop:
        return limit_fill_nb(q, limit, open_, high, low), 1.0
    return np.nan, 1.0 if low <= stop else 0.0
