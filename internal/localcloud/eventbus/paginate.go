package eventbus

import "strconv"

// paginate cuts a sorted list into a page of at most limit items (100 when limit is 0) and
// returns the token of the next page: the offset, which is stable because lists are sorted.
func paginate[T any](all []T, token string, limit int) ([]T, string, *apiError) {
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 || n > len(all) {
			return nil, "", validationError("The NextToken %q is not valid.", token)
		}
		start = n
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	end := min(start+limit, len(all))
	page := all[start:end]
	if page == nil {
		page = []T{}
	}
	if end < len(all) {
		return page, strconv.Itoa(end), nil
	}
	return page, "", nil
}
