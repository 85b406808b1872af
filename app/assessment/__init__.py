"""考核: indicators computed from the history, the plan that weighs them, rankings with their
appeals, bulletins and exports."""
