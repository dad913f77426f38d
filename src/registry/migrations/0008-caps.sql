-- Caps per person across campaigns (issue 12): a call's end reads the attempts of the patient and
-- of the number (families share phones) and pushes their open contacts in every campaign; a lease
-- pushes them past its end. These indexes find a person's and a number's contacts.
create index campaign_contact_phone on campaign_contact (phone);
