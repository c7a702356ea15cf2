"""The five attribution models as pure arithmetic: touch times in, shares out, money split to the minor unit.

Shares are Decimals with 8 places that sum to exactly 1; amounts are split by largest remainder so
the parts sum to exactly the whole (a sale's credited net adds up to its net, to the cent, under
every model). Touches arrive oldest first; ties keep their order (by touch id, from the caller).
"""

import math
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

LAST_TOUCH, FIRST_TOUCH, LINEAR, POSITION, TIME_DECAY = "last_touch", "first_touch", "linear", "position", "time_decay"
MODELS = (LAST_TOUCH, FIRST_TOUCH, LINEAR, POSITION, TIME_DECAY)
HALF_LIFE = timedelta(days=7)
SHARE_PLACES = 8
# Position-based: 40% to the first touch, 40% to the last, 20% shared by those between.
ENDS_PART, MIDDLE_PART = 0.4, 0.2


def raw_weights(model, touch_times, sale_time):
    """Unnormalised weights, one per touch (oldest first)."""
    count = len(touch_times)
    if model == LAST_TOUCH:
        return [0.0] * (count - 1) + [1.0]
    if model == FIRST_TOUCH:
        return [1.0] + [0.0] * (count - 1)
    if model == LINEAR:
        return [1.0] * count
    if model == POSITION:
        if count <= 2:
            return [1.0] * count
        middle = MIDDLE_PART / (count - 2)
        return [ENDS_PART] + [middle] * (count - 2) + [ENDS_PART]
    if model == TIME_DECAY:
        # Halves every 7 days before the sale: a touch a week earlier counts half as much.
        return [math.pow(0.5, (sale_time - at) / HALF_LIFE) for at in touch_times]
    raise ValueError(f"Unknown attribution model {model!r}.")


def allocate(total, weights, places):
    """Split `total` (Decimal) in proportion to `weights` into parts of `places` decimals summing to `total`.

    Largest remainder: every part is floored, then the units left go one each to the parts with the
    largest remainders (ties to the later touch, the one nearer the sale). Zero weights get zero.
    """
    unit = Decimal(1).scaleb(-places)
    weight_sum = math.fsum(weights)
    if total == 0 or weight_sum <= 0:
        return [Decimal(0).quantize(unit)] * len(weights)
    exact = [total * Decimal(weight / weight_sum) for weight in weights]
    floors = [value.quantize(unit, rounding=ROUND_FLOOR) for value in exact]
    left = int(((total - sum(floors)) / unit).to_integral_value())
    order = sorted(range(len(weights)), key=lambda i: (exact[i] - floors[i], i), reverse=True)
    for index in order[:left]:
        floors[index] += unit
    return floors


def shares(model, touch_times, sale_time):
    """Each touch's share of the sale under `model`, 8 places, summing to exactly 1 (empty for no touches)."""
    if not touch_times:
        return []
    return allocate(Decimal(1), raw_weights(model, touch_times, sale_time), SHARE_PLACES)
