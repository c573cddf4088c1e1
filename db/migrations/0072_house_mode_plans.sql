-- A holiday planned ahead (it starts at holiday_from; until then the house is
-- at home), and summer: heating off, every room at its frost temperature.
ALTER TABLE house_mode ADD COLUMN holiday_from timestamptz;
ALTER TABLE house_mode DROP CONSTRAINT house_mode_mode_check;
ALTER TABLE house_mode ADD CONSTRAINT house_mode_mode_check CHECK (mode IN ('home', 'away', 'holiday', 'summer'));
ALTER TABLE house_mode ADD CONSTRAINT house_mode_holiday_order
    CHECK (holiday_from IS NULL OR holiday_until IS NULL OR holiday_from < holiday_until);
