"""Goals and milestones: the programme's milestones, each match's goals, completions and progress."""
