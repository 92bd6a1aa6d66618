"""Reference data written for talentflow: countries, IT roles, currencies and the hh.ru area tree."""
