"""The registry of indicators: each is a formula over summed measures (app/assessment/facts.py),
with the measure whose entities stand behind it (穿透). The plan picks them per level."""

from dataclasses import dataclass

from app.assessment.facts import ACK_BUCKETS

RATE, MEAN, COUNT, MEDIAN = "rate", "mean", "count", "median"


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str  # as the district's sheets name it
    kind: str
    num: str  # the measure summed (for a median: the histogram's prefix)
    den: str | None = None
    higher_is_better: bool = True

    def value(self, measures):
        """The indicator from a subject's summed measures; None when nothing counts for it."""
        if self.kind == COUNT:  # none of a subject with no facts at all in the period
            return measures.get(self.num, 0.0) if measures else None
        if self.kind == MEDIAN:
            return _median(measures, self.num)
        den = measures.get(self.den, 0.0)
        return measures.get(self.num, 0.0) / den if den else None

    def measure(self, side="num"):
        """The measure whose entities stand behind the figure (穿透): the counted ones
        ("num") or all that could have counted ("den")."""
        if self.kind == MEDIAN:
            return "rc_acked" if side == "num" else "rc_asked"
        return self.den if side == "den" and self.den else self.num


def _median(measures, prefix):
    """The median of a histogram of whole minutes (bucket k: within k minutes)."""
    counts = [measures.get(f"{prefix}{k:02d}", 0.0) for k in range(1, ACK_BUCKETS + 1)]
    total = sum(counts)
    if not total:
        return None
    seen = 0.0
    for minutes, count in enumerate(counts, start=1):
        seen += count
        if seen >= total / 2:
            return float(minutes)
    return float(ACK_BUCKETS)


INDICATORS = {
    i.key: i
    for i in (
        Indicator("on_time_close_rate", "按期结案率", RATE, "on_time", "due"),
        Indicator("close_rate", "结案率", RATE, "closed", "due"),
        Indicator("handle_rate", "处置率", RATE, "handled", "due"),
        Indicator("rework_rate", "返工率", RATE, "reworked", "due", False),
        Indicator("extension_rate", "延期率", RATE, "extended", "due", False),
        Indicator("overdue_rate", "超期率", RATE, "overdue", "due", False),
        Indicator("accept_hours", "平均受理时长(工作小时)", MEAN, "accept_h", "accept_n", False),
        Indicator(
            "dispatch_hours", "平均派遣时长(工作小时)", MEAN, "dispatch_h", "dispatch_n", False
        ),
        Indicator("handle_hours", "平均处置时长(工作小时)", MEAN, "handle_h", "handle_n", False),
        Indicator("supervised", "督办数", COUNT, "supervised", None, False),
        Indicator("active_rate", "主动发现率", RATE, "active", "due"),
        Indicator("satisfaction", "满意率", RATE, "visit_satisfied", "visit_reached"),
        Indicator("whistle_on_time", "报到及时率", RATE, "whistle_on_time", "whistles"),
        Indicator("whistle_arrival", "平均到场时长(分钟)", MEAN, "arrive_min", "arrive_n", False),
        Indicator("whistle_rating", "吹哨评价均分", MEAN, "rating_sum", "rating_n"),
        Indicator("task_on_time", "任务按期完成率", RATE, "task_on_time", "tasks"),
        Indicator("task_pass_rate", "任务核验通过率", RATE, "task_pass", "task_checked"),
        Indicator(
            "emergency_task_on_time", "应急任务按期完成率", RATE, "em_task_on_time", "em_tasks"
        ),
        Indicator("rollcall_ack_rate", "叫应响应率", RATE, "rc_acked", "rc_asked"),
        Indicator(
            "rollcall_median_minutes", "叫应响应中位时长(分钟)", MEDIAN, "rc_ack_m", None, False
        ),
        # The field's work (app/assessment/field.py).
        Indicator("patrol_hours", "巡查时长(小时)", COUNT, "patrol_h"),
        Indicator("patrol_coverage", "巡查平均覆盖率", MEAN, "coverage_sum", "coverage_n"),
        Indicator("patrol_plan_met", "计划巡查达标率", RATE, "plan_met", "plan_patrols"),
        Indicator("patrol_windows_missed", "计划漏巡次数", COUNT, "plan_missed", None, False),
        Indicator("visit_on_plan", "走访按期率", RATE, "visit_on_plan", "visits"),
        Indicator("visits", "走访次数", COUNT, "visits"),
        Indicator("journal_days", "民情日志天数", COUNT, "journal_days"),
        Indicator("wishes_fulfilled", "微心愿完成数", COUNT, "wishes_fulfilled"),
        Indicator("volunteer_hours", "志愿服务时长(小时)", COUNT, "volunteer_h"),
    )
}
